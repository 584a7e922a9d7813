//! `kiln inspect` of an image: an OCI layout directory or a tar of one (`kiln image`'s
//! outputs, or any other OCI image): per platform, the manifest, the layers and the
//! config's entry point, user and labels.

use crate::Error;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::io::Read;
use std::path::Path;

/// Whether `path` is an OCI layout directory, or a tar with an `oci-layout` entry.
pub fn is_image(path: &Path) -> bool {
    if path.is_dir() {
        return path.join("oci-layout").is_file();
    }
    tar_files(path).is_ok_and(|files| files.contains_key("oci-layout"))
}

/// The files of a tar archive by path (images are small: a few MiB).
fn tar_files(path: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut archive = tar::Archive::new(file);
    let mut files = BTreeMap::new();
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = entry.path().map_err(|e| e.to_string())?;
        let name = name.to_string_lossy().trim_start_matches("./").to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        files.insert(name, bytes);
    }
    Ok(files)
}

/// Reads the files of a layout directory or tar.
struct Layout<'a> {
    dir: Option<&'a Path>,
    tar: BTreeMap<String, Vec<u8>>,
}

impl Layout<'_> {
    fn read(&self, name: &str) -> Result<Vec<u8>, String> {
        match self.dir {
            Some(dir) => std::fs::read(dir.join(name)).map_err(|e| format!("{name}: {e}")),
            None => self
                .tar
                .get(name)
                .cloned()
                .ok_or_else(|| format!("{name}: not in the archive")),
        }
    }

    fn json(&self, name: &str) -> Result<Value, String> {
        serde_json::from_slice(&self.read(name)?).map_err(|e| format!("{name}: {e}"))
    }

    /// The blob a descriptor names, checked against its digest and size.
    fn blob(&self, descriptor: &Value) -> Result<Vec<u8>, String> {
        let digest = descriptor["digest"]
            .as_str()
            .ok_or("a descriptor without a digest")?;
        let hex = digest
            .strip_prefix("sha256:")
            .ok_or_else(|| format!("unsupported digest `{digest}`"))?;
        let bytes = self.read(&format!("blobs/sha256/{hex}"))?;
        if super::sha256_digest(&bytes) != digest {
            return Err(format!(
                "blob {digest}: its content does not match its digest"
            ));
        }
        if descriptor["size"].as_u64() != Some(bytes.len() as u64) {
            return Err(format!(
                "blob {digest}: its size does not match the descriptor"
            ));
        }
        Ok(bytes)
    }
}

/// A text report of the image at `path`, or JSON with `json`.
pub fn inspect_image(path: &Path, json: bool) -> Result<String, Error> {
    let bad = |e: String| {
        Error::new(format!(
            "`{}`: not a readable OCI image: {e}",
            path.display()
        ))
    };
    let layout = if path.is_dir() {
        Layout {
            dir: Some(path),
            tar: BTreeMap::new(),
        }
    } else {
        Layout {
            dir: None,
            tar: tar_files(path).map_err(bad)?,
        }
    };
    let report = report(&layout).map_err(bad)?;
    Ok(if json {
        format!("{report}\n")
    } else {
        text(&report)
    })
}

/// The facts of the image as JSON: the index's references and, per platform, its
/// manifest digest, layers and config.
fn report(layout: &Layout<'_>) -> Result<Value, String> {
    let index = layout.json("index.json")?;
    let mut images = Vec::new();
    for top in index["manifests"]
        .as_array()
        .ok_or("index.json has no manifests")?
    {
        let annotations = &top["annotations"];
        let mut platforms = Vec::new();
        let manifests = match top["mediaType"].as_str() {
            Some(super::INDEX_MEDIA_TYPE) => {
                let nested: Value = serde_json::from_slice(&layout.blob(top)?)
                    .map_err(|e| format!("image index: {e}"))?;
                nested["manifests"].as_array().cloned().unwrap_or_default()
            }
            _ => vec![top.clone()],
        };
        for descriptor in &manifests {
            let manifest: Value = serde_json::from_slice(&layout.blob(descriptor)?)
                .map_err(|e| format!("manifest: {e}"))?;
            let config: Value = serde_json::from_slice(&layout.blob(&manifest["config"])?)
                .map_err(|e| format!("config: {e}"))?;
            let mut layers = Vec::new();
            for layer in manifest["layers"].as_array().cloned().unwrap_or_default() {
                layout.blob(&layer)?;
                layers.push(serde_json::json!({
                    "digest": layer["digest"],
                    "size": layer["size"],
                    "mediaType": layer["mediaType"],
                }));
            }
            platforms.push(serde_json::json!({
                "platform": format!(
                    "{}/{}",
                    config["os"].as_str().unwrap_or("?"),
                    config["architecture"].as_str().unwrap_or("?")
                ),
                "manifest": descriptor["digest"],
                "config": manifest["config"]["digest"],
                "layers": layers,
                "entrypoint": config["config"]["Entrypoint"],
                "user": config["config"]["User"],
                "labels": config["config"]["Labels"],
                "diff_ids": config["rootfs"]["diff_ids"],
            }));
        }
        images.push(serde_json::json!({
            "digest": top["digest"],
            "ref": annotations["org.opencontainers.image.ref.name"],
            "name": annotations["io.containerd.image.name"],
            "platforms": platforms,
        }));
    }
    Ok(serde_json::json!({ "kind": "image", "images": images }))
}

fn text(report: &Value) -> String {
    let mut out = String::new();
    let str_of = |v: &Value| v.as_str().unwrap_or("-").to_string();
    for image in report["images"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "image {} (tag {})\ndigest: {}",
            str_of(&image["name"]),
            str_of(&image["ref"]),
            str_of(&image["digest"])
        );
        for p in image["platforms"].as_array().into_iter().flatten() {
            let _ = writeln!(out, "platform {}", str_of(&p["platform"]));
            let _ = writeln!(out, "  manifest:   {}", str_of(&p["manifest"]));
            let _ = writeln!(out, "  config:     {}", str_of(&p["config"]));
            for layer in p["layers"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "  layer:      {} ({} bytes)",
                    str_of(&layer["digest"]),
                    layer["size"]
                );
            }
            let _ = writeln!(out, "  entrypoint: {}", p["entrypoint"]);
            let _ = writeln!(out, "  user:       {}", str_of(&p["user"]));
            if let Some(labels) = p["labels"].as_object() {
                let _ = writeln!(out, "  labels:");
                for (key, value) in labels {
                    let _ = writeln!(out, "    {key}: {}", value.as_str().unwrap_or_default());
                }
            }
        }
    }
    out
}
