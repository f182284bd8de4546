//! Reading a rendered SVG back: the writer puts one element per line with `class` and `data-*`
//! attributes, so a line scan finds everything.

/// The value of `name="..."` in an element line.
pub fn attr(line: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = line.find(&key)? + key.len();
    let end = line[start..].find('"')? + start;
    Some(
        line[start..end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Lines of elements of `class` (exact class attribute value).
pub fn elements<'a>(svg: &'a str, class: &str) -> Vec<&'a str> {
    let key = format!("class=\"{class}\"");
    svg.lines().filter(|l| l.contains(&key)).collect()
}

/// The text content of an element line.
pub fn text(line: &str) -> String {
    let start = line.find('>').map_or(0, |i| i + 1);
    let end = line[start..].find('<').map_or(line.len(), |i| i + start);
    line[start..end].replace("&amp;", "&")
}

/// A series path: label and its points in pixels, parsed from `d`.
pub struct PathInfo {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

pub fn series(svg: &str) -> Vec<PathInfo> {
    elements(svg, "series")
        .into_iter()
        .map(|l| {
            let d = attr(l, "d").expect("d");
            let points = d
                .split(['M', 'L'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|p| {
                    let mut it = p.split(' ').map(|v| v.parse::<f64>().expect("number"));
                    (it.next().expect("x"), it.next().expect("y"))
                })
                .collect::<Vec<_>>();
            assert_eq!(
                attr(l, "data-points").expect("data-points"),
                points.len().to_string(),
                "data-points agrees with the path"
            );
            PathInfo {
                label: attr(l, "data-label").expect("label"),
                points,
            }
        })
        .collect()
}
