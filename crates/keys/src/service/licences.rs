//! Licence discovery and binding: which licences a saved key reaches (`GET /facilities/v2`) and
//! binding one to this register.
//!
//! Guarantees: a manager only; binding is audited with its time zone and deadline.

use super::*;

impl Keys {
    /// Licences the holder's saved key reaches (`GET /facilities/v2`), for the first-run wizard
    /// and Settings. A manager only.
    pub async fn discover_licences(
        &self,
        actor: &Actor,
        holder: &KeyHolder,
    ) -> Result<Vec<DiscoveredLicence>, KeysError> {
        require(actor, Permission::ChangeSettings)?;
        let (_, key) = self.saved_key(holder).await?;
        let facilities = self.inner.client.facilities(&key).await?;
        let bound: Vec<String> = self
            .blocking(|db| Ok(db.licences()?.into_iter().map(|l| l.number).collect()))
            .await?;
        let mut out: Vec<DiscoveredLicence> = facilities
            .into_iter()
            .filter(|f| !f.license.number.is_empty())
            .map(|f| DiscoveredLicence {
                bound: bound.contains(&f.license.number),
                name: f
                    .display_name
                    .or(f.name)
                    .unwrap_or_else(|| f.license.number.clone()),
                number: f.license.number,
                license_type: f.license.license_type,
            })
            .collect();
        out.sort_by(|a, b| a.number.cmp(&b.number));
        out.dedup_by(|a, b| a.number == b.number);
        Ok(out)
    }

    /// A manager binds (or updates) a licence with its time zone and reporting deadline.
    pub async fn bind_licence(&self, actor: &Actor, licence: Licence) -> Result<(), KeysError> {
        require(actor, Permission::ChangeSettings)?;
        let by = actor.name().to_owned();
        self.blocking(move |db| {
            db.upsert_licence(&licence)?;
            db.append_audit(AuditEvent::by(
                &by,
                AuditAction::LicenceBound,
                &licence.number,
                format!(
                    "{} in {}, deadline {} h",
                    licence.name, licence.time_zone, licence.reporting_deadline_hours
                ),
            ))?;
            Ok(())
        })
        .await
    }
}
