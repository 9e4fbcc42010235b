//! JPEGs carried into the PDF byte for byte: an image XObject whose stream is the JPEG itself
//! (`/Filter /DCTDecode`), never decoded nor compressed again. Only the header is read, for the
//! size and the colour space.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use printpdf::{DictItem, ExternalStream, ExternalXObject};
use turbojpeg::Colorspace;

use super::PdfError;

/// A JPEG to show (upright: Exif orientation is not applied, so pass the photo derivatives,
/// which are), with an optional caption.
#[derive(Debug, Clone)]
pub struct Image {
    jpeg: Arc<[u8]>,
    key: u64,
    width: u32,
    height: u32,
    colorspace: Colorspace,
    caption: String,
}

impl Image {
    /// Checks the JPEG's header; the pixels are not decoded.
    pub fn jpeg(bytes: impl Into<Arc<[u8]>>) -> Result<Self, PdfError> {
        let jpeg = bytes.into();
        let header = turbojpeg::read_header(&jpeg).map_err(|e| PdfError::Jpeg(e.to_string()))?;
        if header.is_lossless || header.is_arithmetic {
            // DCTDecode readers need not support either.
            return Err(PdfError::Jpeg("lossless or arithmetic-coded JPEG".into()));
        }
        let size = |n: usize| u32::try_from(n).ok().filter(|&n| n > 0);
        let (Some(width), Some(height)) = (size(header.width), size(header.height)) else {
            return Err(PdfError::Jpeg(format!(
                "size {}×{}",
                header.width, header.height
            )));
        };
        let mut hasher = DefaultHasher::new();
        jpeg.hash(&mut hasher);
        Ok(Image {
            key: hasher.finish(),
            jpeg,
            width,
            height,
            colorspace: header.colorspace,
            caption: String::new(),
        })
    }

    /// The same image with `caption` beneath it.
    pub fn with_caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = caption.into();
        self
    }

    /// The caption ("" when none).
    pub fn caption(&self) -> &str {
        &self.caption
    }

    /// Width over height.
    pub fn aspect(&self) -> f32 {
        self.width as f32 / self.height as f32
    }

    /// Hash of the bytes, to embed the same JPEG once.
    pub(super) fn key(&self) -> u64 {
        self.key
    }

    /// Whether `self` and `other` hold the same bytes.
    pub(super) fn same_bytes(&self, other: &Image) -> bool {
        Arc::ptr_eq(&self.jpeg, &other.jpeg) || self.jpeg == other.jpeg
    }

    /// The image XObject: the JPEG bytes as they are, with the dictionary a reader needs.
    pub(super) fn xobject(&self) -> ExternalXObject {
        let name = |n: &str| DictItem::Name(n.as_bytes().to_vec());
        let space = match self.colorspace {
            Colorspace::Gray => "DeviceGray",
            Colorspace::CMYK | Colorspace::YCCK => "DeviceCMYK",
            _ => "DeviceRGB",
        };
        let mut dict = BTreeMap::from([
            ("Type".to_owned(), name("XObject")),
            ("Subtype".to_owned(), name("Image")),
            ("Width".to_owned(), DictItem::Int(i64::from(self.width))),
            ("Height".to_owned(), DictItem::Int(i64::from(self.height))),
            ("ColorSpace".to_owned(), name(space)),
            ("BitsPerComponent".to_owned(), DictItem::Int(8)),
            ("Filter".to_owned(), name("DCTDecode")),
        ]);
        if space == "DeviceCMYK" {
            // Four-component JPEGs come from Adobe software, which stores CMYK inverted.
            let decode = [1, 0, 1, 0, 1, 0, 1, 0].map(DictItem::Int).to_vec();
            dict.insert("Decode".to_owned(), DictItem::Array(decode));
        }
        ExternalXObject {
            stream: ExternalStream {
                dict,
                content: self.jpeg.to_vec(),
                compress: false,
            },
            width: None,
            height: None,
            dpi: None,
        }
    }
}
