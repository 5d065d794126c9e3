//! Upload-to-ready time of a large photo and images processed per second, on this
//! machine's cores: `cargo run --release -p roost-media --example throughput`.

use roost_core::media::{MediaLimits, MediaProcessor};
use std::io::Cursor;
use std::time::Instant;

fn photo(w: u32, h: u32) -> Vec<u8> {
    // Smooth shading with some grain: about the size of a phone photo's JPEG.
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let grain = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 26;
        image::Rgb([
            ((x / 16 + grain) & 0xff) as u8,
            ((y / 12 + grain) & 0xff) as u8,
            (((x + y) / 28) & 0xff) as u8,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .unwrap();
    out.into_inner()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let limits = MediaLimits::default();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pipeline = std::sync::Arc::new(roost_media::Pipeline::new(cores));
    let big = photo(4000, 3000);
    println!("input: 4000x3000 JPEG, {:.1} MB", big.len() as f64 / 1e6);
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let p = pipeline.process(big.clone(), &limits).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(p.preview.is_some());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "upload-to-ready (processing), 12 MP: median {:.0} ms, best {:.0} ms",
        times[2], times[0]
    );
    let n = 16;
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let p = pipeline.clone();
        let b = big.clone();
        set.spawn(async move { p.process(b, &MediaLimits::default()).await.unwrap() });
    }
    while set.join_next().await.is_some() {}
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{n} x 12 MP on {cores} core(s): {:.2} images/s",
        n as f64 / secs
    );
    let small = photo(1280, 960);
    let n = 64;
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let p = pipeline.clone();
        let b = small.clone();
        set.spawn(async move { p.process(b, &MediaLimits::default()).await.unwrap() });
    }
    while set.join_next().await.is_some() {}
    println!(
        "{n} x 1.2 MP on {cores} core(s): {:.1} images/s",
        n as f64 / t.elapsed().as_secs_f64()
    );
}
