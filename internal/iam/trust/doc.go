// Package trust binds the principals a role's trust policy names to the
// unique ids they have when the policy is saved, and shows the policy
// back as IAM does. It owns the rule (which principal values are bound,
// what happens to one that names no one) and reads the store to apply it;
// it does not evaluate policies (package policy matches bound principals,
// package authz feeds it the bindings) and does not write.
//
// AWS binds a user or role ARN in a trust or resource policy to the
// principal's unique id when the policy is saved, so that deleting the
// principal and making another of the same name does not hand the new one
// the old one's access: the policy then shows the old unique id in place
// of the ARN and matches no one until it is saved again. A role session
// ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) is bound through
// its role. Accounts (ACCOUNT, arn:aws:iam::ACCOUNT:root), "*", services,
// federated providers and federated-user ARNs are not bound.
package trust
