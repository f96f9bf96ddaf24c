-- Version 7: a role's trust policy is bound to the unique ids of the
-- users and roles it names when it is saved (iam.Role.TrustBindings, a
-- JSON array of {"ARN", "ID"}; "[]" when it names none), so that a
-- principal deleted and made again under its name is not trusted. Roles
-- saved before this version have NULL: they are bound at the next start
-- (bootstrap.Run, trust.BindSaved).
ALTER TABLE roles ADD COLUMN trust_bindings TEXT;
