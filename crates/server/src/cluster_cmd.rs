//! `roost cluster ...`: writing a cluster file with a key per region, and rotating a
//! region's key.

use crate::keys;
use roost_residency::{Action, BackupPlace, Cluster, DataClass, Policy, PublicKey, RegionSpec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What `cluster init` needs to know of one region.
#[derive(Debug, Clone)]
pub struct RegionPlan {
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub base_url: String,
    pub time_zone: String,
}

/// The policy new clusters start with: public posts, engagement and counts may be kept
/// anywhere in the cluster; followers-only and direct posts only in transit (the
/// operator tightens or loosens per destination).
pub fn default_policy() -> Policy {
    let mut p = Policy::default();
    p.default
        .insert(DataClass::PublicContent, Action::Store { max_secs: None });
    p.default
        .insert(DataClass::Engagement, Action::Store { max_secs: None });
    p.default
        .insert(DataClass::SocialGraph, Action::Store { max_secs: None });
    p.default
        .insert(DataClass::Aggregate, Action::Store { max_secs: None });
    p.default.insert(DataClass::PrivateContent, Action::Transit);
    p
}

/// Creates each region's data dir under `root` with its key, and the cluster with their
/// public keys. Regions are numbered 1.. in the order given. Each region may keep backups
/// in `backups` under its own data dir (the operator adds other places of the region).
pub fn init(root: &Path, plans: &[RegionPlan], policy: &Policy) -> anyhow::Result<Cluster> {
    keys::create_private_dir(root)?;
    let mut regions = BTreeMap::new();
    for (i, p) in plans.iter().enumerate() {
        let dir = root.join(&p.code);
        let k = keys::load_or_create(&dir)?;
        let backups =
            BackupPlace::parse(&std::path::absolute(dir.join("backups"))?.to_string_lossy())
                .map_err(|e| anyhow::anyhow!(e))?;
        let mut pol = policy.clone();
        // A region's policy names other regions only.
        pol.to
            .retain(|dest, _| plans.iter().any(|q| q.code == *dest && q.code != p.code));
        regions.insert(
            p.code.clone(),
            RegionSpec {
                code: p.code.clone(),
                name: p.name.clone(),
                jurisdiction: p.jurisdiction.clone(),
                number: (i + 1) as u16,
                base_url: p.base_url.trim_end_matches('/').to_string(),
                time_zone: p.time_zone.clone(),
                public_keys: vec![PublicKey(k.signing.verifying_key())],
                data_dir: Some(dir.to_string_lossy().into_owned()),
                policy: pol,
                backups: vec![backups],
            },
        );
    }
    let cluster = Cluster { regions };
    // Round-trip through the file format so what we return is what others will load.
    Ok(Cluster::from_toml(&cluster.to_toml())?)
}

/// A new key for `region`: the old key file is kept beside it, the cluster file lists the
/// new key first and keeps the old one so heads and requests it signed still verify.
pub fn rotate_key(cluster_file: &Path, region: &str, data_dir: &Path) -> anyhow::Result<String> {
    let mut cluster = Cluster::load(cluster_file)?;
    let spec = cluster
        .regions
        .get_mut(region)
        .ok_or_else(|| anyhow::anyhow!("{region} is not in the cluster file"))?;
    let key_file = data_dir.join("keys").join("region.ed25519.pem");
    let stamp = jiff::Timestamp::now().as_second();
    let old: PathBuf = data_dir
        .join("keys")
        .join(format!("region.ed25519.pem.retired-{stamp}"));
    std::fs::rename(&key_file, &old)?;
    let k = keys::load_or_create(data_dir)?;
    let public = PublicKey(k.signing.verifying_key());
    spec.public_keys.insert(0, public);
    std::fs::write(cluster_file, cluster.to_toml())?;
    Ok(public.key_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_writes_keys_and_a_loadable_cluster() {
        let dir = tempfile::tempdir().unwrap();
        let plans: Vec<RegionPlan> = ["in", "id"]
            .iter()
            .enumerate()
            .map(|(i, c)| RegionPlan {
                code: c.to_string(),
                name: c.to_uppercase(),
                jurisdiction: c.to_uppercase(),
                base_url: format!("http://127.0.0.1:{}", 9000 + i),
                time_zone: "UTC".into(),
            })
            .collect();
        let c = init(dir.path(), &plans, &default_policy()).unwrap();
        assert_eq!(c.regions.len(), 2);
        assert!(dir.path().join("in/keys/region.ed25519.pem").exists());
        // Each region may keep backups under its own data dir, named absolutely.
        let backups = &c.region("in").unwrap().backups;
        assert_eq!(
            backups,
            &[BackupPlace::Dir(dir.path().join("in").join("backups"))]
        );
        let file = dir.path().join("cluster.toml");
        std::fs::write(&file, c.to_toml()).unwrap();
        let before = c.region("in").unwrap().public_keys[0];
        let new_id = rotate_key(&file, "in", &dir.path().join("in")).unwrap();
        let after = Cluster::load(&file).unwrap();
        let keys = &after.region("in").unwrap().public_keys;
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].key_id(), new_id);
        assert_eq!(keys[1], before);
    }
}
