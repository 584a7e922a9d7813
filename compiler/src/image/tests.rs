use super::*;
use serde_json::Value;
use std::io::Read;

fn spec() -> ImageSpec {
    ImageSpec {
        reference: Reference::parse("hello:1").unwrap(),
        labels: vec![("dev.kiln.grants".into(), "none".into())],
        epoch: 0,
    }
}

/// Stand-ins for the two executables: the writer never looks inside them.
fn executables() -> Vec<(Arch, Vec<u8>)> {
    vec![
        (Arch::Amd64, b"\x7fELF pretend amd64 executable".repeat(100)),
        (Arch::Arm64, b"\x7fELF pretend arm64 executable".repeat(100)),
    ]
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

/// Checks a descriptor against the blob it should describe.
fn assert_describes(descriptor: &Value, blob: &Blob, media_type: &str) {
    assert_eq!(descriptor["mediaType"], media_type);
    assert_eq!(blob.media_type, media_type);
    assert_eq!(descriptor["digest"], sha256_digest(&blob.bytes));
    assert_eq!(descriptor["size"], blob.bytes.len() as u64);
}

#[test]
fn index_manifests_configs_and_layers_describe_each_other() {
    let image = assemble(&executables(), &spec()).unwrap();
    let top = json(image.index_json.as_bytes());
    assert_eq!(top["schemaVersion"], 2);
    assert_eq!(top["mediaType"], INDEX_MEDIA_TYPE);
    let [entry] = top["manifests"].as_array().unwrap().as_slice() else {
        panic!("one entry in index.json")
    };
    assert_describes(entry, &image.index, INDEX_MEDIA_TYPE);
    assert_eq!(
        entry["annotations"]["org.opencontainers.image.ref.name"],
        "1"
    );
    assert_eq!(
        entry["annotations"]["io.containerd.image.name"],
        "docker.io/library/hello:1"
    );

    let nested = json(&image.index.bytes);
    let manifests = nested["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 2);
    for (descriptor, platform) in manifests.iter().zip(&image.platforms) {
        assert_describes(descriptor, &platform.manifest, MANIFEST_MEDIA_TYPE);
        assert_eq!(descriptor["platform"]["os"], "linux");
        assert_eq!(
            descriptor["platform"]["architecture"],
            platform.arch.oci_name()
        );
        let manifest = json(&platform.manifest.bytes);
        assert_eq!(manifest["schemaVersion"], 2);
        assert_describes(&manifest["config"], &platform.config, CONFIG_MEDIA_TYPE);
        let [layer] = manifest["layers"].as_array().unwrap().as_slice() else {
            panic!("one layer")
        };
        assert_describes(layer, &platform.layer, LAYER_MEDIA_TYPE);

        let config = json(&platform.config.bytes);
        assert_eq!(config["architecture"], platform.arch.oci_name());
        assert_eq!(config["os"], "linux");
        assert_eq!(config["created"], "1970-01-01T00:00:00Z");
        assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/app"]));
        assert_eq!(config["config"]["User"], USER);
        assert_eq!(config["config"]["Labels"]["dev.kiln.grants"], "none");
        assert_eq!(config["rootfs"]["type"], "layers");
        assert_eq!(
            config["rootfs"]["diff_ids"],
            serde_json::json!([platform.diff_id])
        );
    }
    // Every blob once, each named by its own digest.
    let blobs = image.blobs();
    assert_eq!(blobs.len(), 7);
    for blob in blobs {
        assert_eq!(blob.digest, format!("sha256:{}", blob.hex()));
        assert_eq!(blob.digest, sha256_digest(&blob.bytes));
    }
}

#[test]
fn the_layer_holds_the_executable_and_tmp_and_its_diff_id_is_the_uncompressed_hash() {
    let image = assemble(&executables(), &spec()).unwrap();
    for (platform, (_, executable)) in image.platforms.iter().zip(executables()) {
        let mut tar_bytes = Vec::new();
        flate2::read::GzDecoder::new(&platform.layer.bytes[..])
            .read_to_end(&mut tar_bytes)
            .unwrap();
        assert_eq!(platform.diff_id, sha256_digest(&tar_bytes));
        let mut archive = tar::Archive::new(&tar_bytes[..]);
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let header = entry.header().clone();
            let path = entry.path().unwrap().to_string_lossy().to_string();
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            assert_eq!(header.mtime().unwrap(), 0);
            let mut contents = Vec::new();
            entry.read_to_end(&mut contents).unwrap();
            seen.push((path, header.mode().unwrap(), contents));
        }
        assert_eq!(
            seen,
            vec![
                ("app".to_string(), 0o755, executable),
                ("tmp/".to_string(), 0o1777, Vec::new()),
            ]
        );
    }
}

#[test]
fn the_same_inputs_give_the_same_digest_and_the_epoch_changes_it() {
    let a = assemble(&executables(), &spec()).unwrap();
    let b = assemble(&executables(), &spec()).unwrap();
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.index_json, b.index_json);
    let later = ImageSpec {
        epoch: 1_700_000_000,
        ..spec()
    };
    let c = assemble(&executables(), &later).unwrap();
    assert_ne!(a.digest(), c.digest());
    let config = json(&c.platforms[0].config.bytes);
    assert_eq!(config["created"], "2023-11-14T22:13:20Z");
}

/// Guards reproducibility across versions and machines: the writer, the tar headers,
/// flate2's pure-Rust backend and the JSON text must all stay byte for byte the same.
/// If this changes on purpose, every published image digest changes with it.
#[test]
fn golden_digest() {
    let image = assemble(&executables(), &spec()).unwrap();
    assert_eq!(
        image.digest(),
        "sha256:583bb0fc930c645c5fd2b9783c59be0885732d43c63f450439552ec3a6762a50",
        "the image digest of fixed inputs changed"
    );
}

#[test]
fn references() {
    let r = Reference::parse("hello").unwrap();
    assert_eq!((r.name.as_str(), r.tag.as_str()), ("hello", "latest"));
    assert_eq!(r.qualified(), "docker.io/library/hello:latest");
    let r = Reference::parse("team/app:v1.2").unwrap();
    assert_eq!(r.qualified(), "docker.io/team/app:v1.2");
    let r = Reference::parse("localhost:5000/app:2").unwrap();
    assert_eq!(
        (r.name.as_str(), r.tag.as_str()),
        ("localhost:5000/app", "2")
    );
    assert_eq!(r.qualified(), "localhost:5000/app:2");
    let r = Reference::parse("registry.example/x/y").unwrap();
    assert_eq!(r.qualified(), "registry.example/x/y:latest");
    for bad in ["", "Hello:1", "a b", "x:", "x:-1", "x::1", "/x", "x//y"] {
        assert!(Reference::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn platforms() {
    assert_eq!(Arch::parse_platform("linux/amd64"), Ok(Arch::Amd64));
    assert_eq!(Arch::parse_platform("linux/arm64/v8"), Ok(Arch::Arm64));
    assert!(Arch::parse_platform("windows/amd64").is_err());
}

#[test]
fn dates() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
}
