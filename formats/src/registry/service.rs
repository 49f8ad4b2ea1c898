//! The embedded registry's rules ([`RegistryService`], over any store) as a
//! [`SchemaRegistryClient`], in process. The gateway's `Registry` delegates here.

use std::sync::Arc;

use async_trait::async_trait;
use schemas::registry::service::{
    RegisterOptions, RegistryError, RegistryService, SchemaEntry, SchemaInput, SubjectVersion, VersionSpec,
};

use super::{
    RegisteredSchema, RegistryClientError, RegistryResult, SchemaRegistryClient, SchemaText, SubjectSchema,
    wire_id,
};

impl From<RegistryError> for RegistryClientError {
    fn from(e: RegistryError) -> Self {
        let code = e.code.code();
        RegistryClientError::new(RegistryClientError::kind_of_code(code), Some(code), e.to_string())
    }
}

fn input(schema: &SchemaText) -> SchemaInput {
    SchemaInput::new(schema.schema_type, schema.schema.clone()).with_references(schema.references.clone())
}

/// An entry of the registry as a [`RegisteredSchema`] (parsed once by the registry).
pub async fn registered_schema(
    service: &RegistryService,
    entry: &SchemaEntry,
) -> RegistryResult<Arc<RegisteredSchema>> {
    let parsed = service.parsed_schema(entry).await?;
    Ok(Arc::new(RegisteredSchema {
        id: wire_id(entry.id())?,
        schema_type: entry.schema_type(),
        schema: entry.schema().to_owned(),
        references: entry.references().to_vec(),
        parsed,
    }))
}

async fn subject_schema(service: &RegistryService, v: SubjectVersion) -> RegistryResult<SubjectSchema> {
    Ok(SubjectSchema {
        schema: registered_schema(service, &v.schema).await?,
        subject: v.subject,
        version: v.version,
    })
}

#[async_trait]
impl SchemaRegistryClient for RegistryService {
    async fn register(&self, subject: &str, schema: &SchemaText, normalize: bool) -> RegistryResult<i32> {
        let options = RegisterOptions {
            normalize,
            ..RegisterOptions::default()
        };
        let registered = RegistryService::register(self, subject, &input(schema), options).await?;
        wire_id(registered.id)
    }

    async fn schema_by_id(&self, id: i32) -> RegistryResult<Arc<RegisteredSchema>> {
        let entry = RegistryService::schema_by_id(self, i64::from(id), None).await?;
        registered_schema(self, &entry).await
    }

    async fn latest(&self, subject: &str) -> RegistryResult<SubjectSchema> {
        let v = RegistryService::latest(self, subject).await?;
        subject_schema(self, v).await
    }

    async fn version(&self, subject: &str, version: i32) -> RegistryResult<SubjectSchema> {
        let spec = if version < 0 {
            VersionSpec::Latest
        } else {
            VersionSpec::parse(&version.to_string())?
        };
        let v = RegistryService::version(self, subject, spec, false).await?;
        subject_schema(self, v).await
    }

    async fn lookup(
        &self,
        subject: &str,
        schema: &SchemaText,
        normalize: bool,
    ) -> RegistryResult<SubjectSchema> {
        let v = RegistryService::lookup(self, subject, &input(schema), normalize, false).await?;
        subject_schema(self, v).await
    }
}
