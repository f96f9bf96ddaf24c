// Package assign owns single sign-on's assignments (issue 17,
// docs/sso.md): which users and groups, Brevet's IAM ones or an identity
// provider's, may obtain which roles through the SSO portal. It stores
// them as store.Objects of kind sso.KindAssignment in the role's account,
// keeps every assignment of every account in an in-memory index that the
// change feed invalidates (Apply), and answers the portal's questions
// from it (Grants, Allowed) without I/O while nothing changed.
//
// IAM users and groups are assigned by unique id, resolved from their
// name when the assignment is made: a user deleted and re-created under
// the same name does not inherit the old one's roles. The Brevet Query
// actions that manage assignments (CreateAccountAssignment,
// DeleteAccountAssignment, ListAccountAssignments) are in register.go.
//
// It issues no credentials and knows nothing of tokens or HTTP.
package assign
