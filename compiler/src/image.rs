//! OCI images of Kiln executables: one static Linux executable per platform, `FROM
//! scratch`, behind one multi-platform tag (`kiln image`).
//!
//! Everything here is a pure function of its inputs, so the same module and options
//! give a byte-identical image and digest on every run and machine: tar entries are
//! sorted with fixed modes, owners and times (`SOURCE_DATE_EPOCH`, else 0), gzip has no
//! name and a zero time and is made by flate2's pure-Rust backend at a fixed level, and
//! every JSON document is written by hand with a fixed key order and no whitespace.
//!
//! The layout (opencontainers/image-spec v1.1): `oci-layout`, `blobs/sha256/<hex>` and
//! `index.json`, which points to one nested image index (the image digest, as registries
//! and runtimes report it) with one manifest per platform; each manifest has a config
//! and one gzip layer holding `/app` (0755) and `/tmp` (01777).

mod layout;
mod read;

pub use layout::{write_image, ImageFormat};
pub use read::{inspect_image, is_image};

use crate::inspect::{describe_grant, inspect};
use crate::{output, to_binary, BoundsChecks, Cpu, Emit, Error, Options, Target};
use flate2::{Compression, GzBuilder};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

pub const OCI_LAYOUT: &str = "{\"imageLayoutVersion\":\"1.0.0\"}";
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// The numeric non-root user the container runs as (distroless's `nonroot`): numeric,
/// so it needs no `/etc/passwd` and satisfies Kubernetes' `runAsNonRoot`.
pub const USER: &str = "65532:65532";
/// Where the executable lives in the image, and the entry point.
pub const APP_PATH: &str = "app";

/// A Linux CPU architecture an image can hold, by its OCI name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arch {
    Amd64,
    Arm64,
}

impl Arch {
    /// From `linux/amd64`, `linux/arm64` (or `linux/arm64/v8`).
    pub fn parse_platform(text: &str) -> Result<Arch, String> {
        match text {
            "linux/amd64" => Ok(Arch::Amd64),
            "linux/arm64" | "linux/arm64/v8" => Ok(Arch::Arm64),
            other => Err(format!(
                "platform `{other}`: Kiln builds images for linux/amd64 and linux/arm64 \
                 (Windows containers need a Windows base layer; macOS has no containers)"
            )),
        }
    }

    pub fn oci_name(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The Kiln target whose executables run on this platform (static, musl).
    pub fn target_name(self) -> &'static str {
        match self {
            Arch::Amd64 => "x86_64-linux",
            Arch::Arm64 => "aarch64-linux",
        }
    }
}

/// `NAME:TAG` as given to `--tag`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub tag: String,
}

impl Reference {
    /// `NAME[:TAG]` (default tag `latest`); NAME may hold a registry and path.
    pub fn parse(text: &str) -> Result<Reference, String> {
        let bad = |why: &str| format!("--tag `{text}`: {why} (expected NAME[:TAG], e.g. hello:1)");
        // A colon after the last slash separates the tag (one before it is a port).
        let (name, tag) = match text.rfind(':') {
            Some(i) if !text[i..].contains('/') => (&text[..i], &text[i + 1..]),
            _ => (text, "latest"),
        };
        let parts: Vec<&str> = name.split('/').collect();
        let path_part = |part: &str| {
            !part.is_empty()
                && part.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                })
        };
        // The first of several parts may be a registry `host[:port]`.
        let registry = |part: &str| match part.split_once(':') {
            Some((host, port)) => {
                path_part(host) && !port.is_empty() && port.chars().all(|c| c.is_ascii_digit())
            }
            None => path_part(part),
        };
        let name_ok = match parts.split_first() {
            Some((first, rest)) if !rest.is_empty() => {
                registry(first) && rest.iter().all(|p| path_part(p))
            }
            _ => path_part(name),
        };
        if !name_ok {
            return Err(bad(
                "the name must be lowercase letters, digits, `.`, `_`, `-` and `/`",
            ));
        }
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && !tag.starts_with(['.', '-'])
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !tag_ok {
            return Err(bad("the tag must be letters, digits, `.`, `_` and `-`"));
        }
        Ok(Reference {
            name: name.to_string(),
            tag: tag.to_string(),
        })
    }

    /// The fully qualified name containerd and kind give the image
    /// (`docker.io/library/hello:1` for `hello:1`).
    pub fn qualified(&self) -> String {
        let first = self.name.split('/').next().unwrap_or_default();
        let has_registry = self.name.contains('/')
            && (first.contains('.') || first.contains(':') || first == "localhost");
        let name = if has_registry {
            self.name.clone()
        } else if self.name.contains('/') {
            format!("docker.io/{}", self.name)
        } else {
            format!("docker.io/library/{}", self.name)
        };
        format!("{name}:{}", self.tag)
    }
}

/// What goes into an image besides the executables.
pub struct ImageSpec {
    pub reference: Reference,
    /// Config labels (`skopeo inspect` shows them), in the order given.
    pub labels: Vec<(String, String)>,
    /// Every timestamp in the image (tar entries, the config's `created`).
    pub epoch: u64,
}

/// A content-addressed blob.
#[derive(Clone, Debug)]
pub struct Blob {
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
    /// `sha256:<hex>`.
    pub digest: String,
}

impl Blob {
    fn new(media_type: &'static str, bytes: Vec<u8>) -> Blob {
        let digest = sha256_digest(&bytes);
        Blob {
            media_type,
            bytes,
            digest,
        }
    }

    /// The JSON descriptor of this blob, with `extra` members after the required ones.
    fn descriptor(&self, extra: Value) -> Value {
        let mut descriptor = json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.bytes.len(),
        });
        if let (Some(members), Value::Object(extra)) = (descriptor.as_object_mut(), extra) {
            members.extend(extra);
        }
        descriptor
    }

    /// The file name under `blobs/sha256/`.
    pub fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }
}

/// One platform's part of an image.
#[derive(Debug)]
pub struct PlatformImage {
    pub arch: Arch,
    pub manifest: Blob,
    pub config: Blob,
    pub layer: Blob,
    /// `sha256:` of the uncompressed layer tar (the config's `diff_ids`).
    pub diff_id: String,
}

/// A whole image, ready to be written in any [`ImageFormat`].
#[derive(Debug)]
pub struct Image {
    pub reference: Reference,
    pub platforms: Vec<PlatformImage>,
    /// The nested image index: its digest is the image digest.
    pub index: Blob,
    /// The layout's `index.json`.
    pub index_json: String,
}

impl Image {
    /// Every blob once, in a stable order.
    pub fn blobs(&self) -> Vec<&Blob> {
        let mut blobs: Vec<&Blob> = vec![&self.index];
        for p in &self.platforms {
            blobs.extend([&p.manifest, &p.config, &p.layer]);
        }
        blobs.sort_by(|a, b| a.digest.cmp(&b.digest));
        blobs.dedup_by(|a, b| a.digest == b.digest);
        blobs
    }

    pub fn digest(&self) -> &str {
        &self.index.digest
    }
}

/// What `kiln image` was asked for besides the compile options.
pub struct ImageRequest {
    pub platforms: Vec<Arch>,
    pub reference: Reference,
    pub format: ImageFormat,
    /// `SOURCE_DATE_EPOCH`, else 0.
    pub epoch: u64,
}

/// Compiles `input` (wasm or text) for every requested platform, as a static
/// executable for the baseline CPU (an image must run on any node of its
/// architecture), and writes the image to `out`. Returns the image.
pub fn build_image(
    input: &[u8],
    options: &Options,
    request: &ImageRequest,
    out: &Path,
) -> Result<Image, Error> {
    let wasm = to_binary(input)?;
    let mut executables = Vec::new();
    for &arch in &request.platforms {
        let options = Options {
            target: Target::parse(arch.target_name()).map_err(Error::new)?,
            cpu: Cpu::Baseline,
            emit: Emit::Exe,
            ..options.clone()
        };
        executables.push((arch, output::executable_bytes(&wasm, &options)?));
    }
    let spec = ImageSpec {
        reference: request.reference.clone(),
        labels: labels(&wasm, options)?,
        epoch: request.epoch,
    };
    let image = assemble(&executables, &spec).map_err(Error::new)?;
    layout::write_image(&image, request.format, out, request.epoch)?;
    Ok(image)
}

/// The labels that tell an operator what the image is and what it can touch: the
/// facts `kiln inspect` shows of the executable.
fn labels(wasm: &[u8], options: &Options) -> Result<Vec<(String, String)>, Error> {
    let inspection = inspect(wasm)?;
    let grants: Vec<String> = options.grants.iter().map(describe_grant).collect();
    let name = options
        .module_name
        .clone()
        .unwrap_or_else(|| inspection.name.clone());
    let mut labels = vec![
        (
            "dev.kiln.bounds-checks",
            match options.bounds_checks {
                BoundsChecks::Guard => "guard".to_string(),
                BoundsChecks::Explicit => "explicit".to_string(),
            },
        ),
        (
            "dev.kiln.capabilities",
            inspection.capabilities().join("; "),
        ),
        (
            "dev.kiln.grants",
            if grants.is_empty() {
                "none".to_string()
            } else {
                grants.join("; ")
            },
        ),
        (
            "dev.kiln.module.sha256",
            sha256_digest(wasm)
                .trim_start_matches("sha256:")
                .to_string(),
        ),
        ("dev.kiln.version", env!("CARGO_PKG_VERSION").to_string()),
    ];
    if !name.is_empty() {
        labels.push(("org.opencontainers.image.title", name));
    }
    Ok(labels
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect())
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::from("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Assembles the image from one static executable per platform.
pub fn assemble(executables: &[(Arch, Vec<u8>)], spec: &ImageSpec) -> Result<Image, String> {
    if executables.is_empty() {
        return Err("an image needs at least one platform".into());
    }
    let mut platforms = Vec::new();
    for (arch, executable) in executables {
        platforms.push(platform_image(*arch, executable, spec)?);
    }
    let manifests: Vec<Value> = platforms
        .iter()
        .map(|p| {
            p.manifest.descriptor(json!({
                "platform": { "architecture": p.arch.oci_name(), "os": "linux" },
            }))
        })
        .collect();
    let index_of = |manifests: Vec<Value>| {
        json!({
            "schemaVersion": 2,
            "mediaType": INDEX_MEDIA_TYPE,
            "manifests": manifests,
        })
        .to_string()
    };
    let index = Blob::new(INDEX_MEDIA_TYPE, index_of(manifests).into_bytes());
    let index_json = index_of(vec![index.descriptor(json!({
        "annotations": {
            "io.containerd.image.name": spec.reference.qualified(),
            "org.opencontainers.image.ref.name": spec.reference.tag,
        },
    }))]);
    Ok(Image {
        reference: spec.reference.clone(),
        platforms,
        index,
        index_json,
    })
}

fn platform_image(
    arch: Arch,
    executable: &[u8],
    spec: &ImageSpec,
) -> Result<PlatformImage, String> {
    let tar = layer_tar(executable, spec.epoch)?;
    let diff_id = sha256_digest(&tar);
    let layer = Blob::new(LAYER_MEDIA_TYPE, gzip(&tar)?);
    let labels: Map<String, Value> = spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let config = json!({
        "architecture": arch.oci_name(),
        "os": "linux",
        "created": rfc3339(spec.epoch),
        "config": {
            "User": USER,
            "Entrypoint": [format!("/{APP_PATH}")],
            "WorkingDir": "/",
            "Labels": labels,
        },
        "rootfs": { "type": "layers", "diff_ids": [diff_id] },
    });
    let config = Blob::new(CONFIG_MEDIA_TYPE, config.to_string().into_bytes());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": config.descriptor(json!({})),
        "layers": [layer.descriptor(json!({}))],
    });
    let manifest = Blob::new(MANIFEST_MEDIA_TYPE, manifest.to_string().into_bytes());
    Ok(PlatformImage {
        arch,
        manifest,
        config,
        layer,
        diff_id,
    })
}

/// The layer: `app` (the executable, 0755) and `tmp/` (01777, so a non-root program
/// has somewhere to write), owned by root, all at `epoch`.
fn layer_tar(executable: &[u8], epoch: u64) -> Result<Vec<u8>, String> {
    let mut tar = DeterministicTar::new(epoch);
    tar.file(APP_PATH, 0o755, executable)?;
    tar.dir("tmp/", 0o1777)?;
    tar.finish()
}

/// gzip with no file name, a zero time, "unknown" OS and a fixed level, by flate2's
/// pure-Rust backend: the same bytes on every machine.
fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::new(9));
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|e| format!("gzip failed: {e}"))
}

/// A ustar archive built from explicit headers only: nothing comes from the file
/// system (modes, owners, times), and entries are written in the order given, which
/// callers keep sorted with parents first.
pub struct DeterministicTar {
    builder: tar::Builder<Vec<u8>>,
    epoch: u64,
}

impl DeterministicTar {
    pub fn new(epoch: u64) -> DeterministicTar {
        DeterministicTar {
            builder: tar::Builder::new(Vec::new()),
            epoch,
        }
    }

    pub fn file(&mut self, path: &str, mode: u32, bytes: &[u8]) -> Result<(), String> {
        let mut header = self.header(tar::EntryType::Regular, mode, bytes.len() as u64);
        self.append(&mut header, path, bytes)
    }

    pub fn dir(&mut self, path: &str, mode: u32) -> Result<(), String> {
        let mut header = self.header(tar::EntryType::Directory, mode, 0);
        self.append(&mut header, path, &[])
    }

    fn header(&self, kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(self.epoch);
        header.set_size(size);
        header
    }

    fn append(&mut self, header: &mut tar::Header, path: &str, data: &[u8]) -> Result<(), String> {
        header
            .set_path(path)
            .map_err(|e| format!("tar entry `{path}`: {e}"))?;
        header.set_cksum();
        self.builder
            .append(header, data)
            .map_err(|e| format!("tar entry `{path}`: {e}"))
    }

    pub fn finish(self) -> Result<Vec<u8>, String> {
        self.builder
            .into_inner()
            .map_err(|e| format!("cannot finish the tar archive: {e}"))
    }
}

/// `1970-01-01T00:00:00Z` for `seconds` after the epoch (UTC, proleptic Gregorian).
fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests;
