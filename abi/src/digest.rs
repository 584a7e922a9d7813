//! The digest both the spec harness's `state` request and the fuzzer's reference side compute.

/// FNV-1a (64-bit): the digest of the harness's `state` request, which the differential
/// fuzzer recomputes from its reference interpreter.
pub struct Fnv1a(pub u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}
