//! Turning an uploaded file into what is stored: the type is read from the
//! bytes, the image is decoded within bounds, turned upright, re-encoded
//! (which drops every metadata block: GPS, camera, comments) and resized
//! into WebP renditions. Pure and CPU-bound: callers run it off the async
//! runtime.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Widths of the resized renditions, narrowest first. An image narrower
/// than one gets only those below its own width (never enlarged), or one
/// at its own width when it is narrower than all of them.
pub const RENDITION_WIDTHS: [u32; 3] = [200, 600, 1200];
/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 10_000;
/// The most pixels accepted (40 megapixels: beyond any shop photo).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Quality of re-encoded JPEG originals, 0 to 100.
const JPEG_QUALITY: u8 = 90;
/// Quality of WebP encodings, 0 to 100.
const WEBP_QUALITY: f32 = 82.0;

/// The formats accepted, which are also the stored originals' formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    WebP,
}

impl Format {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::WebP => "webp",
        }
    }

    /// The stored name back; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        [Format::Jpeg, Format::Png, Format::WebP].into_iter().find(|f| f.as_str() == raw)
    }

    /// The file extension of a stored original.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::WebP => "webp",
        }
    }

    /// Its media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
        }
    }

    fn of(format: ImageFormat) -> Option<Self> {
        match format {
            ImageFormat::Jpeg => Some(Format::Jpeg),
            ImageFormat::Png => Some(Format::Png),
            ImageFormat::WebP => Some(Format::WebP),
            _ => None,
        }
    }
}

/// An image ready to store.
#[derive(Debug)]
pub struct Prepared {
    /// Format of `original`.
    pub format: Format,
    /// Width of `original`, upright.
    pub width: u32,
    /// Height of `original`, upright.
    pub height: u32,
    /// The image re-encoded at full size, without metadata.
    pub original: Vec<u8>,
    /// WebP renditions by width, narrowest first.
    pub renditions: Vec<(u32, Vec<u8>)>,
}

/// Why a file is not accepted, said for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Rejected(pub String);

fn rejected(message: impl Into<String>) -> Rejected {
    Rejected(message.into())
}

/// What the upload claimed about the file: its name and media type, as the
/// client sent them. Neither decides the type, but a claim of another
/// image type than the bytes hold is refused: it is a mistake or a trick.
#[derive(Debug, Clone, Copy, Default)]
pub struct Claims<'a> {
    /// The file name.
    pub file_name: Option<&'a str>,
    /// The part's `Content-Type`.
    pub content_type: Option<&'a str>,
}

impl Claims<'_> {
    fn check(&self, actual: Format) -> Result<(), Rejected> {
        let by_name = self.file_name.and_then(|name| {
            let (_, extension) = name.rsplit_once('.')?;
            Some((extension.to_ascii_lowercase(), claimed_by_extension(extension)?))
        });
        if let Some((extension, claimed)) = by_name
            && claimed != Some(actual)
        {
            return Err(rejected(format!(
                "the file is a {} image but its name ends in .{extension}",
                actual.as_str().to_uppercase()
            )));
        }
        let by_type = self.content_type.and_then(|t| Some((t, claimed_by_media_type(t)?)));
        if let Some((media_type, claimed)) = by_type
            && claimed != Some(actual)
        {
            return Err(rejected(format!(
                "the file is a {} image but was sent as {media_type}",
                actual.as_str().to_uppercase()
            )));
        }
        Ok(())
    }
}

/// `Some(None)`: an image extension of a format not accepted; `None`: not an
/// image extension at all, so no claim.
fn claimed_by_extension(extension: &str) -> Option<Option<Format>> {
    match extension.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" | "jpe" | "jfif" => Some(Some(Format::Jpeg)),
        "png" => Some(Some(Format::Png)),
        "webp" => Some(Some(Format::WebP)),
        "gif" | "bmp" | "tif" | "tiff" | "avif" | "heic" | "heif" | "svg" | "ico" => Some(None),
        _ => None,
    }
}

fn claimed_by_media_type(media_type: &str) -> Option<Option<Format>> {
    let essence = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Some(Format::Jpeg)),
        "image/png" => Some(Some(Format::Png)),
        "image/webp" => Some(Some(Format::WebP)),
        other if other.starts_with("image/") => Some(None),
        _ => None,
    }
}

/// Checks, decodes and re-encodes `bytes`.
pub fn prepare(bytes: &[u8], claims: Claims<'_>) -> Result<Prepared, Rejected> {
    if bytes.is_empty() {
        return Err(rejected("the file is empty"));
    }
    let format = image::guess_format(bytes)
        .ok()
        .and_then(Format::of)
        .ok_or_else(|| rejected("the file is not a JPEG, PNG or WebP image"))?;
    claims.check(format)?;
    if format == Format::Jpeg && !ends_its_last_scan(bytes) {
        return Err(rejected("the image cannot be read: it is damaged or incomplete"));
    }
    let unreadable = |_| rejected("the image cannot be read: it is damaged or incomplete");
    // The header first: a huge canvas is refused before anything is
    // allocated for it (a few hundred bytes of PNG can claim gigapixels).
    let (width, height) =
        reader(bytes, format, Limits::no_limits()).into_dimensions().map_err(unreadable)?;
    check_size(width, height)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // Room for a 40-megapixel RGBA canvas and the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    let mut decoder = reader(bytes, format, limits).into_decoder().map_err(unreadable)?;
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    let image = if image.color().has_alpha() && format != Format::Jpeg {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    let failed = |err: String| rejected(format!("the image could not be re-encoded: {err}"));
    let original = encode(&image, format).map_err(failed)?;
    let renditions = rendition_widths(image.width())
        .map(|width| {
            let height = scaled_height(image.width(), image.height(), width);
            let resized = image.resize_exact(width, height, FilterType::CatmullRom);
            Ok((width, encode(&resized, Format::WebP).map_err(failed)?))
        })
        .collect::<Result<_, Rejected>>()?;
    Ok(Prepared { format, width: image.width(), height: image.height(), original, renditions })
}

fn reader(bytes: &[u8], format: Format, limits: Limits) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::with_format(
        Cursor::new(bytes),
        match format {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::WebP => ImageFormat::WebP,
        },
    );
    reader.limits(limits);
    reader
}

/// Whether a JPEG's last scan is followed by its end-of-image marker. JPEG
/// decoders fill a cut-off scan with grey rather than fail, so a truncated
/// upload would otherwise be stored half grey. Scan data never holds
/// `FF D9` (an `FF` there is followed by `00` or a restart marker), and an
/// embedded thumbnail's markers all come before the main image's scan.
fn ends_its_last_scan(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|pair| pair == [0xFF, 0xDA]);
    last_scan.is_some_and(|start| bytes[start..].windows(2).any(|pair| pair == [0xFF, 0xD9]))
}

fn check_size(width: u32, height: u32) -> Result<(), Rejected> {
    if width == 0 || height == 0 {
        return Err(rejected("the image has no pixels"));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(rejected(format!(
            "the image is {width}x{height} pixels; each side may be at most {MAX_SIDE}"
        )));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(rejected(format!(
            "the image is {width}x{height} pixels; at most {} megapixels are accepted",
            MAX_PIXELS / 1_000_000
        )));
    }
    Ok(())
}

/// The rendition widths for an image `width` pixels wide.
pub fn rendition_widths(width: u32) -> impl Iterator<Item = u32> {
    let smaller: Vec<u32> = RENDITION_WIDTHS.into_iter().filter(|w| *w < width).collect();
    let widths = if smaller.is_empty() { vec![width] } else { smaller };
    widths.into_iter()
}

fn scaled_height(width: u32, height: u32, to_width: u32) -> u32 {
    let scaled =
        (u64::from(height) * u64::from(to_width) + u64::from(width) / 2) / u64::from(width);
    u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
}

fn encode(image: &DynamicImage, format: Format) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            let encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            image.write_with_encoder(encoder).map_err(|err| err.to_string())?;
        }
        Format::Png => {
            let encoder = image::codecs::png::PngEncoder::new(&mut out);
            image.write_with_encoder(encoder).map_err(|err| err.to_string())?;
        }
        Format::WebP => {
            let encoder = match image {
                DynamicImage::ImageRgba8(rgba) => {
                    webp::Encoder::from_rgba(rgba.as_raw(), image.width(), image.height())
                }
                _ => {
                    let rgb = image.to_rgb8();
                    return encode_webp(&webp::Encoder::from_rgb(
                        rgb.as_raw(),
                        image.width(),
                        image.height(),
                    ));
                }
            };
            return encode_webp(&encoder);
        }
    }
    Ok(out)
}

fn encode_webp(encoder: &webp::Encoder<'_>) -> Result<Vec<u8>, String> {
    let mut config = webp::WebPConfig::new().map_err(|()| "no WebP configuration".to_owned())?;
    config.quality = WEBP_QUALITY;
    config.method = 4;
    encoder
        .encode_advanced(&config)
        .map(|memory| memory.to_vec())
        .map_err(|err| format!("WebP encoding failed: {err:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image =
            RgbImage::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
            .unwrap();
        out
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, _| Rgb([(x % 256) as u8, 10, 200]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut out))
            .unwrap();
        out
    }

    fn decode(bytes: &[u8]) -> DynamicImage {
        image::load_from_memory(bytes).unwrap()
    }

    #[test]
    fn renditions_are_webp_at_each_narrower_width_keeping_the_aspect() {
        let prepared = prepare(&png(1000, 500), Claims::default()).unwrap();
        assert_eq!((prepared.format, prepared.width, prepared.height), (Format::Png, 1000, 500));
        let widths: Vec<u32> = prepared.renditions.iter().map(|(w, _)| *w).collect();
        assert_eq!(widths, [200, 600]);
        for (width, bytes) in &prepared.renditions {
            assert_eq!(image::guess_format(bytes).unwrap(), ImageFormat::WebP);
            let image = decode(bytes);
            assert_eq!((image.width(), image.height()), (*width, width / 2));
        }
        assert_eq!(decode(&prepared.original).width(), 1000);
    }

    #[test]
    fn a_small_image_gets_one_rendition_at_its_own_width() {
        let prepared = prepare(&png(120, 80), Claims::default()).unwrap();
        let widths: Vec<u32> = prepared.renditions.iter().map(|(w, _)| *w).collect();
        assert_eq!(widths, [120]);
    }

    #[test]
    fn metadata_is_dropped_and_the_photo_turned_upright() {
        // A JPEG with an EXIF block (orientation 6: rotate 90° clockwise)
        // and a comment naming a place.
        let plain = jpeg(40, 20);
        let exif: Vec<u8> = [
            b"Exif\0\0".as_slice(),
            b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0",
        ]
        .concat();
        let mut tagged = plain[..2].to_vec();
        let app1_len = u16::try_from(exif.len() + 2).unwrap().to_be_bytes();
        tagged.extend_from_slice(&[0xFF, 0xE1, app1_len[0], app1_len[1]]);
        tagged.extend_from_slice(&exif);
        let comment = b"GPS 48.8584 N 2.2945 E";
        let com_len = u16::try_from(comment.len() + 2).unwrap().to_be_bytes();
        tagged.extend_from_slice(&[0xFF, 0xFE, com_len[0], com_len[1]]);
        tagged.extend_from_slice(comment);
        tagged.extend_from_slice(&plain[2..]);
        assert!(tagged.windows(4).any(|w| w == b"Exif"));

        let prepared = prepare(&tagged, Claims::default()).unwrap();
        assert_eq!((prepared.width, prepared.height), (20, 40), "turned upright");
        for needle in [b"Exif".as_slice(), b"GPS"] {
            assert!(!prepared.original.windows(needle.len()).any(|w| w == needle));
        }
    }

    #[test]
    fn transparency_survives_in_png_and_webp() {
        let image =
            RgbaImage::from_fn(300, 300, |x, _| Rgba([200, 0, 0, if x < 150 { 0 } else { 255 }]));
        let mut bytes = Vec::new();
        image::codecs::png::PngEncoder::new(&mut bytes)
            .write_image(image.as_raw(), 300, 300, image::ExtendedColorType::Rgba8)
            .unwrap();
        let prepared = prepare(&bytes, Claims::default()).unwrap();
        assert!(decode(&prepared.original).color().has_alpha());
        assert!(decode(&prepared.renditions[0].1).color().has_alpha());
    }

    #[test]
    fn claims_of_another_image_type_are_refused() {
        let png = png(10, 10);
        let named = |name| Claims { file_name: Some(name), content_type: None };
        assert!(prepare(&png, named("photo.jpg")).unwrap_err().0.contains(".jpg"));
        assert!(prepare(&png, named("photo.GIF")).is_err());
        assert!(prepare(&png, named("photo.PNG")).is_ok());
        assert!(prepare(&png, named("scan-2026")).is_ok(), "no extension: no claim");
        let sent = |t| Claims { file_name: Some("a.png"), content_type: Some(t) };
        assert!(prepare(&png, sent("image/jpeg")).unwrap_err().0.contains("image/jpeg"));
        assert!(prepare(&png, sent("application/octet-stream")).is_ok());
        assert!(prepare(&png, sent("image/png; charset=binary")).is_ok());
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        assert_eq!(prepare(&[], Claims::default()).unwrap_err().0, "the file is empty");
        assert!(prepare(b"GIF89a....", Claims::default()).unwrap_err().0.contains("not a JPEG"));
        let whole = jpeg(64, 64);
        let truncated = &whole[..whole.len() / 2];
        assert!(prepare(truncated, Claims::default()).unwrap_err().0.contains("damaged"));
        let wide = png(40_000, 1);
        assert!(prepare(&wide, Claims::default()).unwrap_err().0.contains("40000x1"));
    }
}
