//! Photos for the demo catalog, drawn at seed time (nothing can be
//! downloaded): a silhouette for the product's category on a soft
//! background, in the product's own colour, and for a product sold in
//! colours one photo per colour, attached to the variants of that colour.
//! They go through the same upload path as an admin's photos.

use std::sync::Arc;

use image::{ImageFormat, Rgb, RgbImage};
use uuid::Uuid;

use crate::media::library::OwnedClaims;
use crate::media::service::{self, MediaChanges, Upload};
use crate::state::AppState;

/// Side of a drawn photo, in pixels.
pub const SIDE: u32 = 640;

/// What a category's photos show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Silhouette {
    /// A T-shirt.
    Top,
    /// Trousers.
    Bottom,
    /// A cap.
    Accessory,
    /// A kettle.
    Kitchen,
    /// A screen on a stand.
    Electronics,
    /// A tent.
    Outdoors,
    /// A desk lamp.
    HomeOffice,
    /// A dumbbell.
    Fitness,
    /// A book.
    Book,
}

impl Silhouette {
    /// The silhouette of a category, by its slug.
    pub fn of_category(slug: &str) -> Self {
        match slug {
            "tops" => Silhouette::Top,
            "bottoms" => Silhouette::Bottom,
            "accessories" | "apparel" => Silhouette::Accessory,
            "kitchen" => Silhouette::Kitchen,
            "electronics" => Silhouette::Electronics,
            "outdoors" => Silhouette::Outdoors,
            "home-office" => Silhouette::HomeOffice,
            "fitness" => Silhouette::Fitness,
            _ => Silhouette::Book,
        }
    }

    /// Signed distance (in units of the canvas side) from `p` to the
    /// shape: negative inside. Coordinates run from -0.5 to 0.5.
    fn distance(self, p: (f32, f32)) -> f32 {
        match self {
            Silhouette::Top => {
                let body = rounded_box(p, (0.0, 0.08), (0.2, 0.3), 0.03);
                let left =
                    rounded_box(rotate(p, (-0.24, -0.14), 0.6), (-0.24, -0.14), (0.11, 0.08), 0.02);
                let right =
                    rounded_box(rotate(p, (0.24, -0.14), -0.6), (0.24, -0.14), (0.11, 0.08), 0.02);
                let neck = circle(p, (0.0, -0.25), 0.075);
                body.min(left).min(right).max(-neck)
            }
            Silhouette::Bottom => {
                let waist = rounded_box(p, (0.0, -0.3), (0.19, 0.05), 0.01);
                let left =
                    rounded_box(rotate(p, (-0.1, 0.05), -0.06), (-0.1, 0.05), (0.09, 0.35), 0.02);
                let right =
                    rounded_box(rotate(p, (0.1, 0.05), 0.06), (0.1, 0.05), (0.09, 0.35), 0.02);
                waist.min(left).min(right)
            }
            Silhouette::Accessory => {
                let crown = circle(p, (0.0, 0.08), 0.24).max(p.1 - 0.08);
                let brim = rounded_box(p, (0.1, 0.09), (0.3, 0.03), 0.03);
                crown.min(brim)
            }
            Silhouette::Kitchen => {
                let body = rounded_box(p, (0.0, 0.08), (0.2, 0.24), 0.08);
                let lid = rounded_box(p, (0.0, -0.2), (0.12, 0.04), 0.02);
                let spout = capsule(p, (0.18, 0.02), (0.33, -0.1), 0.035);
                let handle = capsule(p, (-0.2, -0.06), (-0.3, 0.12), 0.03);
                body.min(lid).min(spout).min(handle)
            }
            Silhouette::Electronics => {
                let screen = rounded_box(p, (0.0, -0.06), (0.36, 0.22), 0.02);
                let stand = rounded_box(p, (0.0, 0.22), (0.03, 0.08), 0.0);
                let foot = rounded_box(p, (0.0, 0.3), (0.14, 0.02), 0.02);
                screen.min(stand).min(foot)
            }
            Silhouette::Outdoors => {
                let tent = triangle(p, (-0.36, 0.3), (0.0, -0.3), (0.36, 0.3));
                let door = triangle(p, (-0.08, 0.3), (0.0, 0.08), (0.08, 0.3));
                tent.max(-door)
            }
            Silhouette::HomeOffice => {
                let shade = triangle(p, (-0.05, -0.32), (0.25, -0.12), (0.02, -0.02));
                let arm = capsule(p, (0.0, -0.15), (-0.15, 0.08), 0.02);
                let post = capsule(p, (-0.15, 0.08), (-0.05, 0.28), 0.02);
                let foot = rounded_box(p, (-0.05, 0.3), (0.16, 0.025), 0.02);
                shade.min(arm).min(post).min(foot)
            }
            Silhouette::Fitness => {
                let bar = rounded_box(p, (0.0, 0.0), (0.3, 0.025), 0.02);
                let left = rounded_box(p, (-0.24, 0.0), (0.06, 0.17), 0.03);
                let right = rounded_box(p, (0.24, 0.0), (0.06, 0.17), 0.03);
                bar.min(left).min(right)
            }
            Silhouette::Book => {
                let cover = rounded_box(p, (0.0, 0.0), (0.22, 0.3), 0.015);
                let spine = rounded_box(p, (-0.17, 0.0), (0.012, 0.3), 0.0);
                cover.max(-spine)
            }
        }
    }
}

fn rotate(p: (f32, f32), center: (f32, f32), angle: f32) -> (f32, f32) {
    let (dx, dy) = (p.0 - center.0, p.1 - center.1);
    let (sin, cos) = angle.sin_cos();
    (center.0 + dx * cos - dy * sin, center.1 + dx * sin + dy * cos)
}

fn circle(p: (f32, f32), center: (f32, f32), radius: f32) -> f32 {
    (p.0 - center.0).hypot(p.1 - center.1) - radius
}

fn rounded_box(p: (f32, f32), center: (f32, f32), half: (f32, f32), radius: f32) -> f32 {
    let qx = (p.0 - center.0).abs() - half.0 + radius;
    let qy = (p.1 - center.1).abs() - half.1 + radius;
    qx.max(0.0).hypot(qy.max(0.0)) + qx.max(qy).min(0.0) - radius
}

fn capsule(p: (f32, f32), a: (f32, f32), b: (f32, f32), radius: f32) -> f32 {
    let (pa, ba) = ((p.0 - a.0, p.1 - a.1), (b.0 - a.0, b.1 - a.1));
    let h = ((pa.0 * ba.0 + pa.1 * ba.1) / (ba.0 * ba.0 + ba.1 * ba.1)).clamp(0.0, 1.0);
    (pa.0 - ba.0 * h).hypot(pa.1 - ba.1 * h) - radius
}

/// Distance to a triangle given clockwise on screen (y down): the largest
/// distance to its edges' lines, which is exact inside and close enough
/// outside for a one-pixel soft edge.
fn triangle(p: (f32, f32), a: (f32, f32), b: (f32, f32), c: (f32, f32)) -> f32 {
    [(a, b), (b, c), (c, a)]
        .into_iter()
        .map(|(from, to)| {
            let (ex, ey) = (to.0 - from.0, to.1 - from.1);
            let length = ex.hypot(ey);
            ((p.0 - from.0) * ey - (p.1 - from.1) * ex) / length
        })
        .fold(f32::MIN, f32::max)
}

/// A colour for a colour name the demo catalog uses; others get one from
/// `fallback`.
pub fn colour_of(name: &str, fallback: &str) -> [u8; 3] {
    let known = match name.to_ascii_lowercase().as_str() {
        "black" => Some([34, 34, 38]),
        "white" => Some([244, 244, 240]),
        "natural" | "cream" | "oatmeal" => Some([236, 226, 204]),
        "grey" | "heather grey" | "stone" => Some([160, 160, 158]),
        "charcoal" | "slate" => Some([74, 80, 88]),
        "navy" | "navy stripe" | "midnight" => Some([32, 44, 84]),
        "blue" | "cobalt" => Some([40, 84, 190]),
        "sky" | "aqua" => Some([120, 190, 230]),
        "teal" => Some([20, 128, 128]),
        "green" | "forest" | "green check" => Some([36, 110, 60]),
        "olive" | "sage" => Some([120, 128, 80]),
        "red" | "crimson" | "red check" => Some([196, 36, 44]),
        "burgundy" => Some([112, 26, 46]),
        "pink" | "coral" => Some([236, 128, 140]),
        "orange" | "rust" | "terracotta" => Some([206, 96, 48]),
        "yellow" | "mustard" => Some([224, 180, 40]),
        "brown" | "tobacco" => Some([110, 72, 44]),
        "camel" | "khaki" | "sand" => Some([196, 164, 116]),
        _ => None,
    };
    known.unwrap_or_else(|| hue_colour(fallback, 0.55, 0.5))
}

/// A stable colour for `seed`: a hue from its bytes, at `saturation` and
/// `lightness`.
fn hue_colour(seed: &str, saturation: f32, lightness: f32) -> [u8; 3] {
    let hash =
        seed.bytes().fold(2_166_136_261_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16_777_619));
    let hue = (hash % 360) as f32;
    let chroma = (1.0 - (2.0 * lightness - 1.0).abs()) * saturation;
    let x = chroma * (1.0 - ((hue / 60.0) % 2.0 - 1.0).abs());
    let (r, g, b) = match (hue / 60.0) as u32 {
        0 => (chroma, x, 0.0),
        1 => (x, chroma, 0.0),
        2 => (0.0, chroma, x),
        3 => (0.0, x, chroma),
        4 => (x, 0.0, chroma),
        _ => (chroma, 0.0, x),
    };
    let m = lightness - chroma / 2.0;
    [r, g, b].map(|c| ((c + m) * 255.0).round().clamp(0.0, 255.0) as u8)
}

fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> Rgb<u8> {
    Rgb([0, 1, 2].map(|i| (f32::from(a[i]) * (1.0 - t) + f32::from(b[i]) * t).round() as u8))
}

/// Photos are drawn at a quarter of their side and enlarged by the image
/// library's (optimised) resampling: the soft edges suit a drawing, and a
/// debug build seeds in seconds.
const SCALE: u32 = 4;

/// A `SIDE`-pixel square photo of `silhouette` in `colour` on a soft
/// background tinted by `backdrop`, with a shadow under it.
pub fn draw(silhouette: Silhouette, colour: [u8; 3], backdrop: &str) -> RgbImage {
    let top = hue_colour(backdrop, 0.35, 0.94);
    let bottom = hue_colour(backdrop, 0.3, 0.84);
    let side = SIDE / SCALE;
    let pixel = 1.0 / side as f32;
    let small = RgbImage::from_fn(side, side, |x, y| {
        let p = ((x as f32 + 0.5) * pixel - 0.5, (y as f32 + 0.5) * pixel - 0.5);
        let backdrop = mix(top, bottom, y as f32 / side as f32);
        // A soft shadow on the floor below the object.
        let shadow = (((p.0 / 0.34).powi(2) + ((p.1 - 0.4) / 0.035).powi(2)).sqrt() - 1.0).max(0.0);
        let floor = mix(backdrop.0, [40, 40, 48], 0.22 * (1.0 - (shadow * 3.0).min(1.0)));
        // One pixel of soft edge.
        let cover = (0.5 - silhouette.distance(p) / pixel).clamp(0.0, 1.0);
        mix(floor.0, colour, cover)
    });
    image::imageops::resize(&small, SIDE, SIDE, image::imageops::FilterType::CatmullRom)
}

/// `image` as PNG bytes.
fn png(image: &RgbImage) -> anyhow::Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// A demo product that gets photos.
#[derive(Debug, Clone)]
pub struct PhotoPlan {
    /// Its id.
    pub product: Uuid,
    /// Its name.
    pub name: String,
    /// Its category's slug.
    pub category: String,
    /// The position of its `Color` option and that option's values, if any.
    pub colours: Option<(usize, Vec<String>)>,
}

/// Draws and uploads the photos of `plan`'s product; how many.
async fn photograph(state: &AppState, plan: &PhotoPlan) -> anyhow::Result<u64> {
    let silhouette = Silhouette::of_category(&plan.category);
    let shots: Vec<(Option<&String>, [u8; 3])> = match &plan.colours {
        Some((_, values)) => values.iter().map(|v| (Some(v), colour_of(v, &plan.name))).collect(),
        None => vec![(None, colour_of("", &plan.name))],
    };
    for (colour_name, colour) in &shots {
        let (name, category) = (plan.name.clone(), plan.category.clone());
        let silhouette_colour = *colour;
        let bytes = tokio::task::spawn_blocking(move || {
            png(&draw(silhouette, silhouette_colour, &format!("{category}{name}")))
        })
        .await??;
        let alt = match colour_name {
            Some(colour) => format!("{} in {colour}", plan.name),
            None => plan.name.clone(),
        };
        let upload = Upload {
            bytes: Arc::from(bytes),
            claims: OwnedClaims {
                file_name: Some("demo.png".to_owned()),
                content_type: Some("image/png".to_owned()),
            },
            alt,
        };
        let stored = service::upload(state, plan.product, upload)
            .await
            .map_err(|err| anyhow::anyhow!("cannot store a photo of {}: {err}", plan.name))?;
        if let (Some(colour_name), Some((option, _))) = (colour_name, &plan.colours) {
            let variants: Vec<Uuid> = sqlx::query_scalar!(
                "SELECT id FROM product_variants
                 WHERE product_id = $1 AND option_values[$2] = $3 AND deleted_at IS NULL",
                plan.product,
                i32::try_from(*option + 1).unwrap_or(1),
                colour_name.as_str()
            )
            .fetch_all(&state.db)
            .await?;
            let changes = MediaChanges { variant_ids: Some(variants), ..MediaChanges::default() };
            service::update(state, stored.entry.id, changes)
                .await
                .map_err(|err| anyhow::anyhow!("cannot attach a photo of {}: {err}", plan.name))?;
        }
    }
    Ok(shots.len() as u64)
}

/// Gives each planned product without photos its drawn ones, a few at a
/// time; how many photos were added.
pub async fn photograph_all(state: &AppState, plans: Vec<PhotoPlan>) -> anyhow::Result<u64> {
    let mut pending = Vec::new();
    for plan in plans {
        let has_photos = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM product_media WHERE product_id = $1) AS "has!""#,
            plan.product
        )
        .fetch_one(&state.db)
        .await?;
        if !has_photos {
            pending.push(plan);
        }
    }
    let mut added = 0;
    let mut running = tokio::task::JoinSet::new();
    let mut plans = pending.into_iter();
    loop {
        while running.len() < 4 {
            let Some(plan) = plans.next() else { break };
            let state = state.clone();
            running.spawn(async move { photograph(&state, &plan).await });
        }
        let Some(done) = running.join_next().await else { break };
        added += done??;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawing_shows_its_colour_in_the_middle_and_the_backdrop_in_the_corner() {
        let red = colour_of("Red", "x");
        let image = draw(Silhouette::Top, red, "tops");
        assert_eq!((image.width(), image.height()), (SIDE, SIDE));
        if let Some(path) = std::env::var_os("GOKART_DRAW_SAMPLE") {
            image.save(path).unwrap();
        }
        assert_eq!(image.get_pixel(SIDE / 2, SIDE / 2).0, red);
        let corner = image.get_pixel(2, 2).0;
        assert!(corner.iter().all(|c| *c > 200), "a light backdrop: {corner:?}");
    }

    #[test]
    fn every_category_draws_something_different() {
        let all = [
            Silhouette::Top,
            Silhouette::Bottom,
            Silhouette::Accessory,
            Silhouette::Kitchen,
            Silhouette::Electronics,
            Silhouette::Outdoors,
            Silhouette::HomeOffice,
            Silhouette::Fitness,
            Silhouette::Book,
        ];
        let masks: Vec<Vec<bool>> = all
            .iter()
            .map(|s| {
                (0..32 * 32)
                    .map(|i| {
                        s.distance(((i % 32) as f32 / 32.0 - 0.5, (i / 32) as f32 / 32.0 - 0.5))
                            < 0.0
                    })
                    .collect()
            })
            .collect();
        for (i, mask) in masks.iter().enumerate() {
            let covered = mask.iter().filter(|inside| **inside).count();
            assert!((40..700).contains(&covered), "{:?} covers {covered} of 1024", all[i]);
            for (j, other) in masks.iter().enumerate().skip(i + 1) {
                assert_ne!(mask, other, "{:?} and {:?}", all[i], all[j]);
            }
        }
    }

    #[test]
    fn known_colour_names_have_their_colour_and_others_a_stable_one() {
        assert_eq!(colour_of("Navy", "x"), colour_of("navy", "y"));
        assert_ne!(colour_of("Red", "x"), colour_of("Blue", "x"));
        assert_eq!(colour_of("", "Kettle"), colour_of("", "Kettle"));
    }
}
