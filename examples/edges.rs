//! The classic image-to-edges phase as one call: a `coarse_list` of commands, one per image.
//!
//! The program draws a few grayscale images (PGM files) in a temporary folder, then runs an
//! edge detector over each of them as an external command, with a deadline per command and a
//! retry. The detector is ImageMagick (`magick` or `convert ... -edge 1`) when it is installed,
//! and otherwise this very program, which doubles as a small command-line edge tool
//! (`edges --tool IN OUT`), so the example runs anywhere.
//!
//! Run it with `cargo run --release --example edges`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use spm::Pool;

const IMAGES: usize = 24;
const SIDE: usize = 128;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let outcome = match args.get(1).map(String::as_str) {
        Some("--tool") => match (args.get(2), args.get(3)) {
            (Some(input), Some(output)) => edge_tool(Path::new(input), Path::new(output)),
            _ => Err("usage: edges --tool IN.pgm OUT.pgm".into()),
        },
        None => run(),
        Some(other) => Err(format!("unknown argument `{other}`; run without arguments").into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edges: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("spm-edges-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = process_images(&dir);
    std::fs::remove_dir_all(&dir)?;
    result
}

fn process_images(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let inputs: Vec<PathBuf> = (0..IMAGES)
        .map(|i| {
            let path = dir.join(format!("img-{i:02}.pgm"));
            write_pgm(&path, SIDE, &draw(i as u64)).map(|()| path)
        })
        .collect::<Result<_, _>>()?;

    let tool = detector()?;
    println!("edge detector: {}", tool.name);
    let lines: Vec<Vec<OsString>> = inputs
        .iter()
        .map(|input| tool.command_line(input, &input.with_extension("edges.pgm")))
        .collect();

    let mut pool = Pool::cores();
    let report = spm::commands(lines)
        .timeout_per_task(Duration::from_secs(30))
        .retries(1)
        .eval(&mut pool)?;
    println!("{report}");
    report.into_results()?;

    // Every output is an image of the same size with some edges in it.
    let mut edge_pixels = 0;
    for input in &inputs {
        let (side, pixels) = read_pgm(&input.with_extension("edges.pgm"))?;
        if side != SIDE {
            return Err(format!("{}: {side} pixels wide, not {SIDE}", input.display()).into());
        }
        edge_pixels += pixels.iter().filter(|&&p| p > 127).count();
    }
    if edge_pixels == 0 {
        return Err("no edge found in any image".into());
    }
    println!("check: {IMAGES} edge maps of {SIDE}x{SIDE}, {edge_pixels} edge pixels in all");
    Ok(())
}

/// The edge detector to run, and how.
struct Detector {
    name: String,
    program: OsString,
    before: Vec<OsString>,
    between: Vec<OsString>,
}

impl Detector {
    fn command_line(&self, input: &Path, output: &Path) -> Vec<OsString> {
        let mut line = vec![self.program.clone()];
        line.extend(self.before.iter().cloned());
        line.push(input.as_os_str().to_owned());
        line.extend(self.between.iter().cloned());
        line.push(output.as_os_str().to_owned());
        line
    }
}

/// ImageMagick if a real one answers, else this program as its own edge tool.
fn detector() -> Result<Detector, Box<dyn std::error::Error>> {
    for program in ["magick", "convert"] {
        let answer = spm::coprocess(program)
            .arg("-version")
            .timeout(Duration::from_secs(5))
            .output();
        if answer.is_ok_and(|a| a.success() && a.stdout_text().contains("ImageMagick")) {
            return Ok(Detector {
                name: format!("ImageMagick (`{program}`)"),
                program: program.into(),
                before: Vec::new(),
                between: ["-edge", "1"].map(OsString::from).to_vec(),
            });
        }
    }
    Ok(Detector {
        name: "this program's own (`edges --tool`): ImageMagick is not installed".into(),
        program: std::env::current_exe()?.into_os_string(),
        before: vec!["--tool".into()],
        between: Vec::new(),
    })
}

/// A dark image with a few bright squares, drawn from `seed`.
fn draw(seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut pixels = vec![20_u8; SIDE * SIDE];
    for _ in 0..4 {
        let (x0, y0) = ((next() % 96) as usize, (next() % 96) as usize);
        let size = 8 + (next() % 24) as usize;
        for y in y0..(y0 + size).min(SIDE) {
            for x in x0..(x0 + size).min(SIDE) {
                pixels[y * SIDE + x] = 220;
            }
        }
    }
    pixels
}

/// `edges --tool IN OUT`: a Sobel edge map of a PGM image, as a PGM image.
fn edge_tool(input: &Path, output: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let (side, pixels) = read_pgm(input)?;
    let at = |x: usize, y: usize| i32::from(pixels[y.min(side - 1) * side + x.min(side - 1)]);
    let mut edges = vec![0_u8; side * side];
    for y in 0..side {
        for x in 0..side {
            let (l, r) = (x.saturating_sub(1), x + 1);
            let (u, d) = (y.saturating_sub(1), y + 1);
            let gx = at(r, u) + 2 * at(r, y) + at(r, d) - at(l, u) - 2 * at(l, y) - at(l, d);
            let gy = at(l, d) + 2 * at(x, d) + at(r, d) - at(l, u) - 2 * at(x, u) - at(r, u);
            edges[y * side + x] = (gx.abs() + gy.abs()).min(255) as u8;
        }
    }
    write_pgm(output, side, &edges)?;
    Ok(())
}

fn write_pgm(path: &Path, side: usize, pixels: &[u8]) -> std::io::Result<()> {
    let mut bytes = format!("P5\n{side} {side}\n255\n").into_bytes();
    bytes.extend_from_slice(pixels);
    std::fs::write(path, bytes)
}

/// Reads a square binary PGM (`P5`, 8 bits), as written by `write_pgm` or ImageMagick.
fn read_pgm(path: &Path) -> Result<(usize, Vec<u8>), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if bytes.get(at) == Some(&b'#') {
            while at < bytes.len() && bytes[at] != b'\n' {
                at += 1;
            }
            continue;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if start == at {
            return Err(format!("{}: not a PGM image", path.display()).into());
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    let (width, height): (usize, usize) = (fields[1].parse()?, fields[2].parse()?);
    if fields[0] != "P5" || fields[3] != "255" || width != height {
        return Err(format!("{}: not a square 8-bit binary PGM image", path.display()).into());
    }
    let pixels = bytes
        .get(at + 1..at + 1 + width * height)
        .ok_or("a truncated PGM image")?;
    Ok((width, pixels.to_vec()))
}
