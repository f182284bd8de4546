//! PNG output decodes to the requested size, shows the lines and text, and is not blank.

use resvg::tiny_skia::Pixmap;
use runlake_plot::{CurveOptions, PlotError, YSpec, plot_curve};

use crate::fixture::lake;

fn pixel(p: &Pixmap, x: u32, y: u32) -> [u8; 4] {
    let c = p.pixel(x, y).expect("inside").demultiply();
    [c.red(), c.green(), c.blue(), c.alpha()]
}

#[tokio::test]
async fn png_has_the_requested_size_and_is_not_blank() {
    let lake = lake().await;
    let y = YSpec::Eval {
        task: "arc_challenge".into(),
        metric: "primary".into(),
    };
    let plot = plot_curve(&lake, &["sft-a", "sft-c"], &y, &CurveOptions::default())
        .await
        .expect("plot");
    for (w, h) in [(640, 400), (1800, 1000)] {
        let png = plot.to_png(w, h).expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let img = Pixmap::decode_png(&png).expect("decodes");
        assert_eq!((img.width(), img.height()), (w, h));
        let mut colors = std::collections::BTreeSet::new();
        let mut blue = 0;
        let mut dark_in_title = 0;
        for yy in 0..h {
            for xx in 0..w {
                let p = pixel(&img, xx, yy);
                colors.insert(p);
                // The sft-a line, Okabe-Ito blue #0072B2, antialiased.
                if p[0] < 40 && (90..=135).contains(&p[1]) && p[2] > 150 {
                    blue += 1;
                }
                // The title's glyphs: drawn only if the bundled font was found.
                if yy < h * 8 / 100 && p[0] < 100 && p[1] < 100 && p[2] < 100 {
                    dark_in_title += 1;
                }
            }
        }
        assert!(colors.len() > 20, "{w}x{h}: only {} colours", colors.len());
        assert!(
            blue > 20,
            "{w}x{h}: the blue line is missing ({blue} pixels)"
        );
        assert!(
            dark_in_title > 100,
            "{w}x{h}: no title text ({dark_in_title})"
        );
        assert_eq!(pixel(&img, 0, 0), [255, 255, 255, 255], "white background");
    }
    assert!(matches!(
        plot.to_png(0, 10),
        Err(PlotError::Size {
            width: 0,
            height: 10
        })
    ));
}
