//! `kiln image` checked by the tools that will consume its images (Debian's skopeo,
//! umoci, runc, containerd and docker-registry; `.ci/run` installs them): structure
//! and digests as skopeo sees them, the amd64 image unpacked and run by runc as the
//! numeric user, the arm64 executable run under qemu, a private containerd importing
//! the tar exactly as `kind load image-archive` does and running it, a registry round
//! trip that keeps the digest, and tampered images that the tools reject.
//!
//! A missing tool fails its test with the command that installs it: a test that
//! silently did nothing would count as a pass. containerd and runc need root, which CI
//! has.
//!
//! (Over 600 lines: one test per consuming tool, sharing the image built once; each is
//! a scenario read top to bottom.)

use kiln_testsuite::{compile_ok, example, kiln, run, Cmd, Output, Scratch};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const HELLO_OUT: &str = "Hello from Kiln!\n";

/// A module that traps: the image must report it exactly as the executable does.
const TRAP_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func $inner (unreachable))
  (func (export "_start") (call $inner)))"#;

/// `program` from PATH, or a failed test that says how to install it.
fn tool(program: &str) -> &str {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    assert!(
        found,
        "`{program}` is not installed; the image tests need skopeo, umoci, runc, containerd \
         and docker-registry (Debian: apt-get install skopeo umoci runc containerd \
         docker-registry; .ci/run installs them)"
    );
    program
}

fn ok(output: Output) -> Output {
    assert_eq!(output.status, 0, "{}", output.describe());
    output
}

fn sh(program: &str, args: &[&str]) -> Output {
    ok(Cmd::new(tool(program))
        .args(args)
        .timeout(Duration::from_secs(120))
        .output())
}

/// `kiln image INPUT -o OUT ARGS...`; returns the digest it printed.
fn build_image(input: &Path, out: &Path, args: &[&str]) -> String {
    let mut all = vec![
        "image".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    let output = ok(kiln(all));
    let text = output.stdout_text();
    let digest = text
        .lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap_or_else(|| panic!("no digest line in {text:?}"));
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    digest.to_string()
}

fn json(text: &[u8]) -> Value {
    serde_json::from_slice(text).expect("JSON")
}

fn oci(dir: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", dir.display())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn skopeo_reads_the_index_configs_and_every_blob() {
    let scratch = Scratch::new("image-skopeo");
    let img = scratch.join("img");
    let digest = build_image(&example("hello.wat"), &img, &["--tag", "hello:1"]);

    // The index skopeo reads is the one whose digest kiln printed.
    let raw = sh("skopeo", &["inspect", "--raw", &oci(&img, "1")]).stdout;
    assert_eq!(format!("sha256:{}", sha256_hex(&raw)), digest);
    let index = json(&raw);
    let platforms: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["amd64", "arm64"]);

    for arch in ["amd64", "arm64"] {
        let config = json(
            &sh(
                "skopeo",
                &[
                    "--override-arch",
                    arch,
                    "inspect",
                    "--config",
                    &oci(&img, "1"),
                ],
            )
            .stdout,
        );
        assert_eq!(config["architecture"], arch);
        assert_eq!(config["os"], "linux");
        assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/app"]));
        assert_eq!(config["config"]["User"], "65532:65532");
        let labels = &config["config"]["Labels"];
        assert_eq!(labels["dev.kiln.grants"], "none");
        assert_eq!(
            labels["dev.kiln.capabilities"],
            "standard streams and open files"
        );
        let module = std::fs::read(example("hello.wat")).unwrap();
        let module = wat::parse_bytes(&module).unwrap();
        assert_eq!(labels["dev.kiln.module.sha256"], sha256_hex(&module));
    }

    // `copy --all` re-reads and re-verifies every blob's digest and size.
    let copy = scratch.join("copy");
    sh(
        "skopeo",
        &[
            "copy",
            "--quiet",
            "--all",
            "--preserve-digests",
            &oci(&img, "1"),
            &oci(&copy, "1"),
        ],
    );
    let copied = sh("skopeo", &["inspect", "--raw", &oci(&copy, "1")]).stdout;
    assert_eq!(copied, raw);
}

#[test]
fn the_same_inputs_give_the_same_image_in_any_directory() {
    let scratch = Scratch::new("image-repro");
    let first = scratch.join("first.tar");
    let a = build_image(&example("hello.wat"), &first, &["--format", "oci-tar"]);
    // Another working directory and output path, a copy of the input elsewhere.
    let elsewhere = scratch.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::create_dir(scratch.join("copy")).unwrap();
    let input = scratch.write(
        "copy/hello.wat",
        std::fs::read(example("hello.wat")).unwrap(),
    );
    let output = ok(Cmd::new(kiln_testsuite::kiln_exe())
        .args([
            "image".as_ref(),
            input.as_os_str(),
            "-o".as_ref(),
            "second.tar".as_ref(),
        ])
        .args(["--format", "oci-tar", "--tag", "hello"])
        .current_dir(&elsewhere)
        .output());
    assert!(output.stdout_text().contains(&a), "{}", output.describe());
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(elsewhere.join("second.tar")).unwrap(),
        "two builds of the same image differ"
    );

    // SOURCE_DATE_EPOCH sets every time in the image, so it changes the digest.
    let dated = ok(Cmd::new(kiln_testsuite::kiln_exe())
        .args(["image".as_ref(), example("hello.wat").as_os_str()])
        .args(["-o".as_ref(), scratch.join("dated").as_os_str()])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output());
    assert!(!dated.stdout_text().contains(&a));
}

/// Copies one platform out of the image and unpacks it with umoci (which checks the
/// diff_ids); returns the bundle directory.
fn unpack(scratch: &Scratch, img: &Path, arch: &str) -> PathBuf {
    let label = img.file_name().unwrap().to_string_lossy();
    let one = scratch.join(&format!("{label}-one-{arch}"));
    sh(
        "skopeo",
        &[
            "--override-arch",
            arch,
            "copy",
            "--quiet",
            &oci(img, "1"),
            &oci(&one, "1"),
        ],
    );
    let bundle = scratch.join(&format!("{label}-bundle-{arch}"));
    sh(
        "umoci",
        &[
            "unpack",
            "--image",
            &format!("{}:1", one.display()),
            bundle.to_str().unwrap(),
        ],
    );
    bundle
}

/// Runs the bundle with runc (no terminal) and returns what the container did.
fn runc_run(bundle: &Path, id: &str) -> Output {
    let config_path = bundle.join("config.json");
    let mut config = json(&std::fs::read(&config_path).unwrap());
    config["process"]["terminal"] = Value::Bool(false);
    assert_eq!(
        config["process"]["user"]["uid"], 65532,
        "runs as the numeric user"
    );
    assert_eq!(config["process"]["user"]["gid"], 65532);
    assert_eq!(config["process"]["args"], serde_json::json!(["/app"]));
    std::fs::write(&config_path, config.to_string()).unwrap();
    Cmd::new(tool("runc"))
        .args(["run", "--bundle", bundle.to_str().unwrap(), id])
        .timeout(Duration::from_secs(60))
        .output()
}

#[test]
fn runc_runs_the_amd64_image_like_the_plain_executable() {
    let scratch = Scratch::new("image-runc");
    let trap = scratch.write("trap.wat", TRAP_WAT);
    for (name, input, expected_out) in [
        ("hello", example("hello.wat"), HELLO_OUT),
        ("trap", trap.clone(), ""),
    ] {
        let img = scratch.join(&format!("img-{name}"));
        build_image(&input, &img, &["--tag", "t:1", "--platform", "linux/amd64"]);
        let bundle = unpack(&scratch, &img, "amd64");
        // The layer's files, as the container sees them.
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(bundle.join("rootfs").join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        assert_eq!((mode("app"), mode("tmp")), (0o755, 0o1777));

        let id = format!("kiln-test-{name}-{}", std::process::id());
        let container = runc_run(&bundle, &id);
        let exe = compile_ok(&input, &scratch, name, &["--target", "x86_64-linux"]);
        let plain = run(&exe, &[], b"");
        assert_eq!(
            container.stdout_text(),
            expected_out,
            "{}",
            container.describe()
        );
        assert_eq!(container.stdout, plain.stdout);
        assert_eq!(container.stderr, plain.stderr, "{}", container.describe());
        assert_eq!(container.status, plain.status, "{}", container.describe());
        if name == "trap" {
            assert_eq!(container.status, 134);
            assert!(container
                .stderr_text()
                .starts_with("error: wasm trap: unreachable"));
        }
    }
}

#[test]
fn the_arm64_executable_runs_under_qemu() {
    let scratch = Scratch::new("image-arm64");
    let img = scratch.join("img");
    build_image(&example("hello.wat"), &img, &["--tag", "hello:1"]);
    let bundle = unpack(&scratch, &img, "arm64");
    let app = bundle.join("rootfs/app");
    let header = std::fs::read(&app).unwrap();
    // ELF, 64-bit, e_machine = EM_AARCH64 (183).
    assert_eq!(&header[..5], b"\x7fELF\x02");
    assert_eq!(u16::from_le_bytes([header[18], header[19]]), 183);
    sh("qemu-aarch64", &[app.to_str().unwrap()]).assert_stdout(HELLO_OUT);
}

/// A containerd of the test's own (root, state and socket in `dir`), stopped on drop.
struct Containerd {
    child: Child,
    socket: PathBuf,
}

impl Containerd {
    fn start(dir: &Path) -> Containerd {
        let socket = dir.join("containerd.sock");
        let config = dir.join("config.toml");
        std::fs::write(
            &config,
            format!(
                "version = 2\nroot = {:?}\nstate = {:?}\n[grpc]\n  address = {:?}\n\
                 [ttrpc]\n  address = {:?}\n[debug]\n  address = \"\"\n[metrics]\n  address = \"\"\n",
                dir.join("root"),
                dir.join("state"),
                socket,
                dir.join("containerd.sock.ttrpc")
            ),
        )
        .unwrap();
        let child = Command::new(tool("containerd"))
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("containerd.log")).unwrap())
            .spawn()
            .expect("starting containerd");
        let me = Containerd { child, socket };
        for _ in 0..100 {
            if me.socket.exists() {
                return me;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "containerd did not create its socket; see {}",
            dir.display()
        );
    }

    fn ctr(&self, args: &[&str], stdin: &[u8]) -> Output {
        Cmd::new(tool("ctr"))
            .args(["-a", self.socket.to_str().unwrap(), "-n", "k8s.io"])
            .args(args)
            .stdin(stdin.to_vec())
            .timeout(Duration::from_secs(120))
            .output()
    }

    /// What `kind load image-archive` runs on every node.
    fn import(&self, tar: &Path) -> Output {
        let bytes = std::fs::read(tar).unwrap();
        self.ctr(
            &[
                "images",
                "import",
                "--all-platforms",
                "--digests",
                "--snapshotter=overlayfs",
                "-",
            ],
            &bytes,
        )
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn containerd_imports_the_tar_like_kind_and_runs_it() {
    let scratch = Scratch::new("image-containerd");
    let tar = scratch.join("hello.tar");
    let digest = build_image(
        &example("hello.wat"),
        &tar,
        &["--tag", "hello:1", "--format", "oci-tar"],
    );
    let containerd = Containerd::start(scratch.path());
    ok(containerd.import(&tar));
    let images = ok(containerd.ctr(&["images", "ls"], b"")).stdout_text();
    let line = images
        .lines()
        .find(|l| l.starts_with("docker.io/library/hello:1 "))
        .unwrap_or_else(|| panic!("the image is not listed by its name:\n{images}"));
    assert!(line.contains(&digest), "{line}");
    assert!(line.contains("linux/amd64,linux/arm64"), "{line}");
    let id = format!("kiln-test-{}", std::process::id());
    ok(containerd.ctr(&["run", "--rm", "docker.io/library/hello:1", &id], b""))
        .assert_stdout(HELLO_OUT);
}

#[test]
fn a_registry_round_trip_keeps_the_digest() {
    let scratch = Scratch::new("image-registry");
    let img = scratch.join("img");
    let digest = build_image(&example("hello.wat"), &img, &["--tag", "hello:1"]);
    // A free port on the loopback interface, for a registry of the test's own.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = scratch.write(
        "registry.yml",
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            scratch.join("registry-data").display()
        ),
    );
    let mut registry = Command::new(tool("docker-registry"))
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting docker-registry");
    let result = std::panic::catch_unwind(|| {
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let remote = format!("docker://127.0.0.1:{port}/kiln/hello:1");
        sh(
            "skopeo",
            &[
                "copy",
                "--quiet",
                "--all",
                "--preserve-digests",
                "--dest-tls-verify=false",
                &oci(&img, "1"),
                &remote,
            ],
        );
        let raw = sh(
            "skopeo",
            &["inspect", "--raw", "--tls-verify=false", &remote],
        )
        .stdout;
        assert_eq!(format!("sha256:{}", sha256_hex(&raw)), digest);
        let back = scratch.join("back");
        sh(
            "skopeo",
            &[
                "copy",
                "--quiet",
                "--all",
                "--preserve-digests",
                "--src-tls-verify=false",
                &remote,
                &oci(&back, "1"),
            ],
        );
        let index = json(&std::fs::read(back.join("index.json")).unwrap());
        assert_eq!(index["manifests"][0]["digest"], digest.as_str());
    });
    let _ = registry.kill();
    let _ = registry.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Rewrites the amd64 config of the layout at `img` with `edit`, and every document
/// above it (manifest, nested index, index.json) so that all digests match again.
fn rewrite_config(img: &Path, edit: impl Fn(&mut Value)) {
    let blob = |digest: &str| {
        img.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let put = |bytes: Vec<u8>| {
        let hex = sha256_hex(&bytes);
        std::fs::write(img.join("blobs/sha256").join(&hex), &bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let mut top = json(&std::fs::read(img.join("index.json")).unwrap());
    let mut index =
        json(&std::fs::read(blob(top["manifests"][0]["digest"].as_str().unwrap())).unwrap());
    let mut manifest =
        json(&std::fs::read(blob(index["manifests"][0]["digest"].as_str().unwrap())).unwrap());
    let mut config =
        json(&std::fs::read(blob(manifest["config"]["digest"].as_str().unwrap())).unwrap());
    edit(&mut config);
    let (digest, size) = put(config.to_string().into_bytes());
    manifest["config"]["digest"] = digest.into();
    manifest["config"]["size"] = size.into();
    let (digest, size) = put(manifest.to_string().into_bytes());
    index["manifests"][0]["digest"] = digest.into();
    index["manifests"][0]["size"] = size.into();
    let (digest, size) = put(index.to_string().into_bytes());
    top["manifests"][0]["digest"] = digest.into();
    top["manifests"][0]["size"] = size.into();
    std::fs::write(img.join("index.json"), top.to_string()).unwrap();
}

#[test]
fn tampered_images_are_rejected() {
    let scratch = Scratch::new("image-tampered");

    // A layer whose bytes no longer match its digest: skopeo refuses to copy it.
    let img = scratch.join("layer");
    build_image(
        &example("hello.wat"),
        &img,
        &["--platform", "linux/amd64", "--tag", "t:1"],
    );
    // The layer is the largest blob.
    let mut largest = None;
    for entry in std::fs::read_dir(img.join("blobs/sha256")).unwrap() {
        let path = entry.unwrap().path();
        let len = std::fs::metadata(&path).unwrap().len();
        if largest.as_ref().is_none_or(|(_, l)| len > *l) {
            largest = Some((path, len));
        }
    }
    let (layer, _) = largest.unwrap();
    let mut bytes = std::fs::read(&layer).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&layer, bytes).unwrap();
    let copy = Cmd::new(tool("skopeo"))
        .args([
            "copy",
            "--quiet",
            &oci(&img, "1"),
            &oci(&scratch.join("copy"), "1"),
        ])
        .output();
    assert_ne!(
        copy.status,
        0,
        "a corrupted layer was copied: {}",
        copy.describe()
    );

    // A wrong diff_id with every digest consistent: umoci and containerd refuse it.
    let img = scratch.join("diff-id");
    build_image(
        &example("hello.wat"),
        &img,
        &["--platform", "linux/amd64", "--tag", "t:1"],
    );
    rewrite_config(&img, |config| {
        config["rootfs"]["diff_ids"][0] = format!("sha256:{}", "0".repeat(64)).into();
    });
    let one = scratch.join("one");
    sh(
        "skopeo",
        &["copy", "--quiet", &oci(&img, "1"), &oci(&one, "1")],
    );
    let unpacked = Cmd::new(tool("umoci"))
        .args(["unpack", "--image", &format!("{}:1", one.display())])
        .arg(scratch.join("bundle"))
        .output();
    assert_ne!(
        unpacked.status,
        0,
        "umoci unpacked a wrong diff_id: {}",
        unpacked.describe()
    );

    assert!(
        unpacked.stderr_text().to_lowercase().contains("diff"),
        "umoci should name the diff_id: {}",
        unpacked.describe()
    );

    // containerd: the same archive of an untouched layout imports and runs (so the
    // archive itself is fine), the tampered one does not.
    let containerd_dir = scratch.join("containerd");
    std::fs::create_dir(&containerd_dir).unwrap();
    let containerd = Containerd::start(&containerd_dir);
    let control = scratch.join("control");
    build_image(
        &example("hello.wat"),
        &control,
        &["--platform", "linux/amd64", "--tag", "c:1"],
    );
    ok(containerd.import(&layout_tar(&control)));
    ok(containerd.ctr(
        &["run", "--rm", "docker.io/library/c:1", "kiln-control"],
        b"",
    ))
    .assert_stdout(HELLO_OUT);
    let imported = containerd.import(&layout_tar(&img));
    assert_ne!(
        imported.status,
        0,
        "containerd imported an image with a wrong diff_id:\n{}",
        imported.describe()
    );
}

/// A tar of the layout directory `dir` (`dir.tar`).
fn layout_tar(dir: &Path) -> PathBuf {
    let tar = dir.with_extension("tar");
    let mut archive = tar::Builder::new(std::fs::File::create(&tar).unwrap());
    archive.append_dir_all(".", dir).unwrap();
    archive.finish().unwrap();
    tar
}

#[test]
fn docker_tar_holds_one_platform_and_a_manifest_json() {
    let scratch = Scratch::new("image-docker");
    let tar = scratch.join("hello.tar");
    build_image(
        &example("hello.wat"),
        &tar,
        &[
            "--format",
            "docker-tar",
            "--platform",
            "linux/amd64",
            "--tag",
            "hello:2",
        ],
    );
    let mut archive = tar::Archive::new(std::fs::File::open(&tar).unwrap());
    let mut names = Vec::new();
    let mut manifest = None;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().to_string();
        if name == "manifest.json" {
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut text).unwrap();
            manifest = Some(json(&text));
        }
        names.push(name);
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries are sorted");
    let manifest = manifest.expect("manifest.json");
    assert_eq!(manifest[0]["RepoTags"], serde_json::json!(["hello:2"]));
    for blob in [&manifest[0]["Config"], &manifest[0]["Layers"][0]] {
        assert!(
            names.contains(&blob.as_str().unwrap().to_string()),
            "{blob}"
        );
    }

    // Docker's manifest.json describes one platform only.
    let both = scratch.join("both.tar");
    let refused = kiln([
        "image".as_ref(),
        example("hello.wat").as_os_str(),
        "-o".as_ref(),
        both.as_os_str(),
        "--format".as_ref(),
        "docker-tar".as_ref(),
    ]);
    refused.assert_cli_error();
    assert!(
        refused.stderr_text().contains("one platform"),
        "{}",
        refused.describe()
    );
    assert!(!both.exists());
    assert_eq!(
        scratch.entries(),
        ["hello.tar"],
        "a failed build leaves nothing behind"
    );
}

#[test]
fn inspect_shows_each_platform_of_a_layout_or_tar() {
    let scratch = Scratch::new("image-inspect");
    let tar = scratch.join("img.tar");
    let digest = build_image(
        &example("hello.wat"),
        &tar,
        &[
            "--format",
            "oci-tar",
            "--tag",
            "demo:3",
            "--env",
            "MODE=prod",
        ],
    );
    let text = ok(kiln(["inspect".as_ref(), tar.as_os_str()])).stdout_text();
    assert!(
        text.contains("image docker.io/library/demo:3 (tag 3)"),
        "{text}"
    );
    assert!(text.contains(&format!("digest: {digest}")), "{text}");
    assert!(text.contains("platform linux/amd64") && text.contains("platform linux/arm64"));
    assert!(
        text.contains("dev.kiln.grants: environment variable MODE=prod"),
        "{text}"
    );
    let report = json(
        &ok(kiln([
            "inspect".as_ref(),
            "--json".as_ref(),
            tar.as_os_str(),
        ]))
        .stdout,
    );
    assert_eq!(report["kind"], "image");
    assert_eq!(report["images"][0]["digest"], digest.as_str());
    assert_eq!(
        report["images"][0]["platforms"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn bad_requests_are_refused_before_anything_is_written() {
    let scratch = Scratch::new("image-bad");
    let out = scratch.join("img");
    let input = example("hello.wat");
    for (args, message) in [
        (&["--cpu", "native"][..], "baseline CPU"),
        (&["--target", "x86_64-linux"][..], "--platform"),
        (
            &["--platform", "windows/amd64"][..],
            "linux/amd64 and linux/arm64",
        ),
        (&["--tag", "Bad Name"][..], "--tag"),
    ] {
        let mut all = vec![
            "image".as_ref(),
            input.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ];
        all.extend(args.iter().map(std::ffi::OsStr::new));
        let refused = kiln(all);
        refused.assert_cli_error();
        assert!(
            refused.stderr_text().contains(message),
            "{args:?}: {}",
            refused.describe()
        );
    }
    // An existing directory that is not an image layout is never replaced.
    std::fs::create_dir(&out).unwrap();
    scratch.write("img/keep.txt", "mine");
    let refused = kiln([
        "image".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    refused.assert_cli_error();
    assert_eq!(
        std::fs::read_to_string(out.join("keep.txt")).unwrap(),
        "mine"
    );
    assert_eq!(scratch.entries(), ["img"]);
}
