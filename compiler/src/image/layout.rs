//! Writing an [`Image`]: as an OCI layout directory, as that layout in one tar (what
//! `ctr images import`, `kind load image-archive` and `podman load` take), or as that
//! tar plus Docker's `manifest.json` for one platform (what `docker load` takes).
//! Nothing is left behind when writing fails: the output is staged beside its
//! destination and renamed into place.

use super::{DeterministicTar, Image, OCI_LAYOUT};
use crate::output::Staged;
use crate::Error;
use serde_json::json;
use std::fs;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// An OCI image layout directory.
    OciDir,
    /// The OCI layout as one tar.
    OciTar,
    /// The OCI layout tar plus Docker's `manifest.json` (one platform only).
    DockerTar,
}

/// Writes `image` to `out`. An existing `out` is replaced only when it is an OCI
/// layout directory (for [`ImageFormat::OciDir`]) or a file.
pub fn write_image(
    image: &Image,
    format: ImageFormat,
    out: &Path,
    epoch: u64,
) -> Result<(), Error> {
    match format {
        ImageFormat::OciDir => write_dir(image, out),
        ImageFormat::OciTar | ImageFormat::DockerTar => {
            if out.is_dir() {
                return Err(Error::new(format!(
                    "`{}` is a directory; an image archive is a file",
                    out.display()
                )));
            }
            let bytes = layout_tar(image, format == ImageFormat::DockerTar, epoch)?;
            let staged = Staged::new(out)?;
            staged.write(&bytes)?;
            staged.commit()
        }
    }
}

/// The layout's files, parents first, sorted: `(path, contents)`; `None` is a directory.
fn layout_entries<'i>(
    image: &'i Image,
    docker_manifest: Option<&'i str>,
) -> Vec<(String, Option<&'i [u8]>)> {
    let mut entries: Vec<(String, Option<&[u8]>)> =
        vec![("blobs/".into(), None), ("blobs/sha256/".into(), None)];
    for blob in image.blobs() {
        entries.push((format!("blobs/sha256/{}", blob.hex()), Some(&blob.bytes)));
    }
    entries.push(("index.json".into(), Some(image.index_json.as_bytes())));
    if let Some(manifest) = docker_manifest {
        entries.push(("manifest.json".into(), Some(manifest.as_bytes())));
    }
    entries.push(("oci-layout".into(), Some(OCI_LAYOUT.as_bytes())));
    entries
}

fn layout_tar(image: &Image, docker: bool, epoch: u64) -> Result<Vec<u8>, Error> {
    let docker_manifest = if docker {
        Some(docker_manifest(image)?)
    } else {
        None
    };
    let mut tar = DeterministicTar::new(epoch);
    for (path, contents) in layout_entries(image, docker_manifest.as_deref()) {
        match contents {
            None => tar.dir(&path, 0o755),
            Some(bytes) => tar.file(&path, 0o644, bytes),
        }
        .map_err(Error::new)?;
    }
    tar.finish().map_err(Error::new)
}

/// Docker's `manifest.json`: the config and layers of the image's one platform.
fn docker_manifest(image: &Image) -> Result<String, Error> {
    let [platform] = image.platforms.as_slice() else {
        return Err(Error::new(
            "--format docker-tar holds one platform (docker load cannot take several): \
             choose one with --platform linux/amd64 or --platform linux/arm64",
        ));
    };
    let manifest = json!([{
        "Config": format!("blobs/sha256/{}", platform.config.hex()),
        "RepoTags": [format!("{}:{}", image.reference.name, image.reference.tag)],
        "Layers": [format!("blobs/sha256/{}", platform.layer.hex())],
    }]);
    Ok(manifest.to_string())
}

fn write_dir(image: &Image, out: &Path) -> Result<(), Error> {
    let replace = out.exists();
    if replace && !out.join("oci-layout").is_file() {
        return Err(Error::new(format!(
            "`{}` exists and is not an OCI image layout: not replacing it",
            out.display()
        )));
    }
    let staged = Staged::new(out)?;
    let io = |e: std::io::Error| Error::new(format!("cannot write `{}`: {e}", out.display()));
    fs::create_dir(staged.path()).map_err(io)?;
    for (path, contents) in layout_entries(image, None) {
        let path = staged.path().join(path);
        match contents {
            None => fs::create_dir(&path),
            Some(bytes) => fs::write(&path, bytes),
        }
        .map_err(io)?;
    }
    if replace {
        fs::remove_dir_all(out).map_err(io)?;
    }
    staged.commit()
}
