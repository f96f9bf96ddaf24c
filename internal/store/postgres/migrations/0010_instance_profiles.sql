-- Version 10: the table of store/sqlite's 0010_instance_profiles.sql: IAM
-- instance profiles (store.InstanceProfiles). A profile holds at most one
-- role (AWS's fixed quota), so the role is a column: role_id is NULL while
-- the profile is empty, and its foreign key keeps a role in a profile from
-- being deleted. created_at is microseconds since the epoch; tags is the
-- JSON of []iam.Tag, as on roles.
CREATE TABLE instance_profiles (
    id         TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name       TEXT COLLATE "C" NOT NULL,
    name_key   TEXT COLLATE "C" NOT NULL,
    path       TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    tags       TEXT NOT NULL DEFAULT '[]',
    role_id    TEXT COLLATE "C" REFERENCES roles (id),
    UNIQUE (account_id, name_key)
);
-- ListForRole, and the role's side of the foreign key on DeleteRole.
CREATE INDEX instance_profiles_role ON instance_profiles (role_id);
