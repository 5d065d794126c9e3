//! RFC 6962 / RFC 9162 §2.1 Merkle tree hashing, proofs and proof verification.
//!
//! Everything works on leaf hashes (`leaf_hash(data)`), so a caller can hold the hashes of a
//! long log in memory and build proofs for any historical size by passing the first `size`.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// Why a proof could not be built or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("old tree size {old} is larger than new tree size {new}")]
    OldLargerThanNew { old: u64, new: u64 },
    #[error("the proof is empty but the trees differ")]
    EmptyProof,
    #[error("the proof has the wrong number of hashes for these tree sizes")]
    WrongLength,
    #[error("the proof does not lead to the expected root hash")]
    RootMismatch,
}

/// MTH of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Largest power of two strictly below `n` (the RFC's k). `n` must be at least 2.
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// MTH over leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

fn to_usize(v: u64) -> Option<usize> {
    usize::try_from(v).ok()
}

/// PATH(index, D[n]) with n = `leaves.len()`, bottom first.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let size = leaves.len() as u64;
    let m = to_usize(index)
        .filter(|m| *m < leaves.len())
        .ok_or(ProofError::IndexOutOfRange { index, size })?;
    let mut out = Vec::new();
    path(m, leaves, &mut out);
    Ok(out)
}

fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
    let n = d.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &d[..k], out);
        out.push(root(&d[k..]));
    } else {
        path(m - k, &d[k..], out);
        out.push(root(&d[..k]));
    }
}

/// PROOF(old_size, D[n]) with n = `leaves.len()`. Empty when `old_size` is 0 or n: there is
/// nothing to prove then.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, ProofError> {
    let new = leaves.len() as u64;
    let m = to_usize(old_size)
        .filter(|m| *m <= leaves.len())
        .ok_or(ProofError::OldLargerThanNew { old: old_size, new })?;
    let mut out = Vec::new();
    if m > 0 {
        subproof(m, leaves, true, &mut out);
    }
    Ok(out)
}

// SUBPROOF(m, D[n], b); `b` says whether D[0:m] is the old tree itself (its root is known).
fn subproof(m: usize, d: &[Hash], b: bool, out: &mut Vec<Hash>) {
    let n = d.len();
    if m == n {
        if !b {
            out.push(root(d));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &d[..k], b, out);
        out.push(root(&d[k..]));
    } else {
        subproof(m - k, &d[k..], false, out);
        out.push(root(&d[..k]));
    }
}

/// RFC 9162 §2.1.3.2: `leaf` is at `index` in the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            // Skip the levels where this node has no right sibling.
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: the tree (`new_size`, `new_root`) extends (`old_size`, `old_root`).
/// Equal sizes need equal roots and an empty proof; the empty tree (old_size 0, root
/// SHA-256("")) is extended by every tree, with an empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldLargerThanNew {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        let expected = if old_size == 0 {
            empty_root()
        } else {
            *new_root
        };
        return if *old_root == expected {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::EmptyProof);
    }
    // A power-of-two old tree is a complete subtree of the new one: the proof omits its root.
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(old_root);
    }
    path.extend(proof);

    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*path[0], *path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The roots of the perfect subtrees covering a growing log, largest first: appending and
/// reading the root cost O(log n) instead of rehashing every leaf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }

    pub fn from_leaves(leaves: &[Hash]) -> Frontier {
        let mut f = Frontier::new();
        for l in leaves {
            f.push(*l);
        }
        f
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut s = self.size;
        // Each trailing 1 bit of the old size is a same-height subtree to merge with.
        while s & 1 == 1 {
            let left = self.nodes.pop().expect("one node per set bit of size");
            h = node_hash(&left, &h);
            s >>= 1;
        }
        self.nodes.push(h);
        self.size += 1;
    }

    /// Equals `root` of all leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        let Some(last) = it.next() else {
            return empty_root();
        };
        it.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Hash {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    // RFC 6962 test leaves and published roots, as used by the Certificate Transparency
    // reference implementations (transparency-dev/merkle testonly/constants.go and
    // proof/verify_test.go; the same values as google/certificate-transparency's
    // merkle_tree_test.cc).
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];

    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    // (index, size, proof): testonly/reference_test.go and proof/verify_test.go (which counts
    // leaves from 1; converted to 0-based here).
    const INCLUSION: &[(u64, u64, &[&str])] = &[
        (0, 1, &[]),
        (
            0,
            2,
            &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
        ),
        (
            1,
            2,
            &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    // (old, new, proof): same sources.
    const CONSISTENCY: &[(u64, u64, &[&str])] = &[
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    fn vector_leaves() -> Vec<Hash> {
        LEAVES
            .iter()
            .map(|l| leaf_hash(&hex::decode(l).unwrap()))
            .collect()
    }

    fn hashes(v: &[&str]) -> Vec<Hash> {
        v.iter().map(|s| h(s)).collect()
    }

    #[test]
    fn empty_and_leaf_hashes() {
        assert_eq!(empty_root(), h(EMPTY));
        assert_eq!(root(&[]), h(EMPTY));
        // Level-0 node hashes from testonly/constants.go NodeHashes.
        assert_eq!(
            leaf_hash(&[]),
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        );
        assert_eq!(
            leaf_hash(&[0x00]),
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")
        );
    }

    #[test]
    fn published_roots() {
        let leaves = vector_leaves();
        for (i, want) in ROOTS.iter().enumerate() {
            assert_eq!(root(&leaves[..=i]), h(want), "size {}", i + 1);
            assert_eq!(Frontier::from_leaves(&leaves[..=i]).root(), h(want));
        }
    }

    #[test]
    fn published_inclusion_proofs() {
        let leaves = vector_leaves();
        for (index, size, want) in INCLUSION {
            let n = *size as usize;
            let proof = inclusion_proof(&leaves[..n], *index).unwrap();
            assert_eq!(proof, hashes(want), "index {index} size {size}");
            let r = h(ROOTS[n - 1]);
            verify_inclusion(&leaves[*index as usize], *index, *size, &proof, &r).unwrap();
        }
    }

    #[test]
    fn published_consistency_proofs() {
        let leaves = vector_leaves();
        for (old, new, want) in CONSISTENCY {
            let proof = consistency_proof(&leaves[..*new as usize], *old).unwrap();
            assert_eq!(proof, hashes(want), "{old} -> {new}");
            let (r1, r2) = (h(ROOTS[*old as usize - 1]), h(ROOTS[*new as usize - 1]));
            verify_consistency(*old, *new, &r1, &r2, &proof).unwrap();
        }
    }

    /// The reference vectors with the corruptions of proof/verify_test.go; every one must fail.
    #[test]
    fn published_vectors_reject_corruption() {
        let leaves = vector_leaves();
        let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
        for (index, size, want) in INCLUSION {
            let (index, size) = (*index, *size);
            let proof = hashes(want);
            let r = h(ROOTS[size as usize - 1]);
            let leaf = leaves[index as usize];
            let fails = |i: u64, s: u64, l: &Hash, p: &[Hash], r: &Hash| {
                verify_inclusion(l, i, s, p, r).is_err()
            };
            if index > 0 {
                assert!(fails(index - 1, size, &leaf, &proof, &r));
            }
            assert!(fails(index + 1, size, &leaf, &proof, &r));
            assert!(fails(index ^ 2, size, &leaf, &proof, &r));
            assert!(fails(index, size * 2, &leaf, &proof, &r));
            assert!(fails(index, size / 2, &leaf, &proof, &r));
            assert!(fails(index, size, &leaf_hash(b"WrongLeaf"), &proof, &r));
            assert!(fails(index, size, &leaf, &proof, &h(EMPTY)));
            assert!(fails(index, size, &leaf, &proof, &some));
            for extra in [[0u8; 32], r] {
                let mut p = proof.clone();
                p.push(extra);
                assert!(fails(index, size, &leaf, &p, &r), "trailing");
                let mut p = vec![extra];
                p.extend(&proof);
                assert!(fails(index, size, &leaf, &p, &r), "preceding");
            }
            for i in 0..proof.len() {
                let mut p = proof.clone();
                p[i][0] ^= 8;
                assert!(fails(index, size, &leaf, &p, &r), "bit flip {i}");
            }
            if !proof.is_empty() {
                assert!(fails(index, size, &leaf, &proof[..proof.len() - 1], &r));
            }
        }
        for (old, new, want) in CONSISTENCY {
            let (old, new) = (*old, *new);
            let proof = hashes(want);
            if proof.is_empty() {
                continue;
            }
            let (r1, r2) = (h(ROOTS[old as usize - 1]), h(ROOTS[new as usize - 1]));
            let fails = |o: u64, n: u64, a: &Hash, b: &Hash, p: &[Hash]| {
                verify_consistency(o, n, a, b, p).is_err()
            };
            assert!(fails(old - 1, new, &r1, &r2, &proof));
            assert!(fails(old + 1, new, &r1, &r2, &proof));
            assert!(fails(old ^ 2, new, &r1, &r2, &proof));
            assert!(fails(old, new * 2, &r1, &r2, &proof));
            assert!(fails(old, new / 2, &r1, &r2, &proof));
            assert!(fails(old, new, &some, &r2, &proof));
            assert!(fails(old, new, &r1, &some, &proof));
            assert!(fails(old, new, &r2, &r1, &proof));
            assert!(fails(old, new, &r1, &r2, &[]));
            for extra in [[0u8; 32], r1, r2, proof[0]] {
                let mut p = proof.clone();
                p.push(extra);
                assert!(fails(old, new, &r1, &r2, &p), "trailing");
                let mut p = vec![extra];
                p.extend(&proof);
                assert!(fails(old, new, &r1, &r2, &p), "preceding");
            }
            assert!(fails(old, new, &r1, &r2, &proof[..proof.len() - 1]));
            for i in 0..proof.len() {
                let mut p = proof.clone();
                p[i][0] ^= 16;
                assert!(fails(old, new, &r1, &r2, &p), "bit flip {i}");
            }
        }
    }

    /// Independent brute-force MTH over raw data, straight from the RFC's definition.
    fn brute_mth(data: &[Vec<u8>]) -> Hash {
        let n = data.len();
        if n == 0 {
            return Sha256::digest(b"").into();
        }
        if n == 1 {
            let mut v = vec![0u8];
            v.extend(&data[0]);
            return Sha256::digest(&v).into();
        }
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        let mut v = vec![1u8];
        v.extend(brute_mth(&data[..k]));
        v.extend(brute_mth(&data[k..]));
        Sha256::digest(&v).into()
    }

    const MAX: usize = 70;

    fn test_data(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("leaf {i}").into_bytes()).collect()
    }

    #[test]
    fn roots_match_brute_force_and_frontier() {
        let data = test_data(MAX);
        let leaves: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        let mut f = Frontier::new();
        assert_eq!(f.root(), empty_root());
        for n in 0..=MAX {
            assert_eq!(root(&leaves[..n]), brute_mth(&data[..n]), "size {n}");
            assert_eq!(f.size(), n as u64);
            assert_eq!(f.root(), root(&leaves[..n]), "frontier size {n}");
            if n < MAX {
                f.push(leaves[n]);
            }
        }
    }

    #[test]
    fn inclusion_round_trip_all_sizes() {
        let leaves: Vec<Hash> = test_data(MAX).iter().map(|d| leaf_hash(d)).collect();
        // Proof lengths per (size, index), to know which wrong sizes must be caught.
        let mut lens = vec![vec![0usize; MAX]; MAX + 1];
        for size in 1..=MAX {
            let r = root(&leaves[..size]);
            for index in 0..size {
                let p = inclusion_proof(&leaves[..size], index as u64).unwrap();
                lens[size][index] = p.len();
                verify_inclusion(&leaves[index], index as u64, size as u64, &p, &r)
                    .unwrap_or_else(|e| panic!("index {index} size {size}: {e}"));
                // Wrong leaf and wrong index.
                let other = (index + 1) % size;
                if other != index {
                    assert!(
                        verify_inclusion(&leaves[other], index as u64, size as u64, &p, &r)
                            .is_err()
                    );
                    assert!(
                        verify_inclusion(&leaves[index], other as u64, size as u64, &p, &r)
                            .is_err()
                    );
                }
                // Every single-bit tamper, a dropped and an extra hash.
                for i in 0..p.len() {
                    let mut t = p.clone();
                    t[i][31] ^= 1;
                    assert!(
                        verify_inclusion(&leaves[index], index as u64, size as u64, &t, &r)
                            .is_err()
                    );
                }
                if !p.is_empty() {
                    let t = &p[..p.len() - 1];
                    assert_eq!(
                        verify_inclusion(&leaves[index], index as u64, size as u64, t, &r),
                        Err(ProofError::WrongLength)
                    );
                }
                let mut t = p.clone();
                t.push(r);
                assert_eq!(
                    verify_inclusion(&leaves[index], index as u64, size as u64, &t, &r),
                    Err(ProofError::WrongLength)
                );
            }
            assert_eq!(
                inclusion_proof(&leaves[..size], size as u64),
                Err(ProofError::IndexOutOfRange {
                    index: size as u64,
                    size: size as u64
                })
            );
            assert!(verify_inclusion(&leaves[0], size as u64, size as u64, &[], &r).is_err());
        }
        // A wrong size whose path has another length is always caught.
        for size in 1..=MAX {
            let r = root(&leaves[..size]);
            for index in 0..size {
                let p = inclusion_proof(&leaves[..size], index as u64).unwrap();
                for (wrong, wrong_lens) in lens.iter().enumerate().skip(1) {
                    if wrong != size && index < wrong && wrong_lens[index] != p.len() {
                        assert!(
                            verify_inclusion(&leaves[index], index as u64, wrong as u64, &p, &r)
                                .is_err(),
                            "index {index} size {size} claimed as {wrong}"
                        );
                    }
                }
            }
        }
        assert!(inclusion_proof(&[], 0).is_err());
        assert!(verify_inclusion(&leaves[0], 0, 0, &[], &empty_root()).is_err());
    }

    #[test]
    fn consistency_round_trip_all_sizes() {
        let leaves: Vec<Hash> = test_data(MAX).iter().map(|d| leaf_hash(d)).collect();
        let roots: Vec<Hash> = (0..=MAX).map(|n| root(&leaves[..n])).collect();
        for new in 0..=MAX {
            for old in 0..=new {
                let p = consistency_proof(&leaves[..new], old as u64).unwrap();
                let (o, n) = (old as u64, new as u64);
                verify_consistency(o, n, &roots[old], &roots[new], &p)
                    .unwrap_or_else(|e| panic!("{old} -> {new}: {e}"));
                if old == 0 || old == new {
                    assert!(p.is_empty());
                    continue;
                }
                assert!(!p.is_empty());
                assert_eq!(
                    verify_consistency(o, n, &roots[old], &roots[new], &[]),
                    Err(ProofError::EmptyProof)
                );
                // Another old root (a rewritten history) and another new root.
                let prev = old - 1;
                if prev > 0 {
                    assert!(verify_consistency(o, n, &roots[prev], &roots[new], &p).is_err());
                }
                assert!(verify_consistency(o, n, &roots[old], &roots[new - 1], &p).is_err());
                for i in 0..p.len() {
                    let mut t = p.clone();
                    t[i][0] ^= 0x80;
                    assert!(
                        verify_consistency(o, n, &roots[old], &roots[new], &t).is_err(),
                        "{old} -> {new} flip {i}"
                    );
                }
                let mut t = p.clone();
                t.push(roots[new]);
                assert!(verify_consistency(o, n, &roots[old], &roots[new], &t).is_err());
                let t = &p[..p.len() - 1];
                assert!(verify_consistency(o, n, &roots[old], &roots[new], t).is_err());
                // Old larger than new.
                assert_eq!(
                    verify_consistency(n, o, &roots[new], &roots[old], &p),
                    Err(ProofError::OldLargerThanNew { old: n, new: o })
                );
            }
            assert_eq!(
                consistency_proof(&leaves[..new], new as u64 + 1),
                Err(ProofError::OldLargerThanNew {
                    old: new as u64 + 1,
                    new: new as u64
                })
            );
        }
    }

    #[test]
    fn consistency_edge_cases() {
        let leaves = vector_leaves();
        let r = |n: usize| root(&leaves[..n]);
        // Same size: equal roots and no proof.
        assert!(verify_consistency(3, 3, &r(3), &r(3), &[]).is_ok());
        assert_eq!(
            verify_consistency(3, 3, &r(3), &r(2), &[]),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(
            verify_consistency(3, 3, &r(3), &r(3), &[r(3)]),
            Err(ProofError::WrongLength)
        );
        // From the empty tree: only its real root, and no proof.
        assert!(verify_consistency(0, 5, &empty_root(), &r(5), &[]).is_ok());
        assert!(verify_consistency(0, 0, &empty_root(), &empty_root(), &[]).is_ok());
        assert_eq!(
            verify_consistency(0, 5, &r(1), &r(5), &[]),
            Err(ProofError::RootMismatch)
        );
        assert!(verify_consistency(0, 5, &empty_root(), &r(5), &[r(5)]).is_err());
        assert_eq!(
            verify_consistency(2, 1, &r(2), &r(1), &[]),
            Err(ProofError::OldLargerThanNew { old: 2, new: 1 })
        );
    }

    /// Our proofs must verify with an independent, maintained implementation, and our
    /// verifier must accept its proofs.
    #[test]
    fn ct_merkle_agrees() {
        use ct_merkle::mem_backed_tree::MemoryBackedTree;
        use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
        use sha2_11::Sha256 as Sha256v11;

        let data = test_data(MAX);
        let leaves: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        let ct_root = |n: usize| {
            let r = root(&leaves[..n]);
            RootHash::<Sha256v11>::new(r.as_slice().try_into().unwrap(), n as u64)
        };
        let mut tree = MemoryBackedTree::<Sha256v11, Vec<u8>>::new();
        for size in 1..=MAX {
            tree.push(data[size - 1].clone());
            assert_eq!(tree.root().as_bytes().as_slice(), root(&leaves[..size]));
            let r = ct_root(size);
            for (index, value) in data[..size].iter().enumerate() {
                let ours = inclusion_proof(&leaves[..size], index as u64).unwrap();
                let p = InclusionProof::<Sha256v11>::from_bytes(ours.concat());
                r.verify_inclusion(value, index as u64, &p)
                    .unwrap_or_else(|e| panic!("ct-merkle rejects {index}/{size}: {e}"));
                // Theirs, for the whole tree, is byte-for-byte ours.
                assert_eq!(tree.prove_inclusion(index).as_bytes(), ours.concat());
            }
            for old in 1..=size {
                let ours = consistency_proof(&leaves[..size], old as u64).unwrap();
                let p = ConsistencyProof::<Sha256v11>::try_from_bytes(ours.concat()).unwrap();
                r.verify_consistency(&ct_root(old), &p)
                    .unwrap_or_else(|e| panic!("ct-merkle rejects {old} -> {size}: {e}"));
                let theirs = tree.prove_consistency(size - old);
                assert_eq!(theirs.as_bytes(), ours.concat());
                let theirs: Vec<Hash> = theirs
                    .as_bytes()
                    .chunks(32)
                    .map(|c| c.try_into().unwrap())
                    .collect();
                verify_consistency(
                    old as u64,
                    size as u64,
                    &root(&leaves[..old]),
                    &root(&leaves[..size]),
                    &theirs,
                )
                .unwrap();
            }
        }
    }
}
