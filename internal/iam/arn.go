package iam

import (
	"fmt"
	"strings"
)

// Partition is the ARN partition Brevet issues. Clients compare ARNs
// textually, so it is fixed to AWS's commercial partition.
const Partition = "aws"

// ARN is a parsed Amazon Resource Name:
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// ARNError: a string is not a well-formed ARN of the expected shape.
type ARNError struct {
	ARN    string
	Reason string
}

func (e *ARNError) Error() string { return fmt.Sprintf("invalid ARN %q: %s", e.ARN, e.Reason) }

// ParseARN splits s into its six fields. The resource may itself contain
// colons. It checks shape only, not that the service or account exist.
func ParseARN(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, &ARNError{ARN: s, Reason: "want arn:partition:service:region:account:resource"}
	}
	if parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, &ARNError{ARN: s, Reason: "empty partition, service or resource"}
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, nil
}

// ARNAccount is the account field of an ARN: the fifth colon-separated
// field of one that has six, "" otherwise. It checks nothing else (see
// ParseARN) and does not allocate: the audit trail reads it on every
// AssumeRole.
func ARNAccount(arn string) string {
	for range 4 {
		i := strings.IndexByte(arn, ':')
		if i < 0 {
			return ""
		}
		arn = arn[i+1:]
	}
	if i := strings.IndexByte(arn, ':'); i >= 0 {
		return arn[:i]
	}
	return ""
}

func iamARN(account, typ, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:" + Partition + ":iam::" + account + ":" + typ + path + name
}

// UserARN returns arn:aws:iam::ACCOUNT:user/PATH/NAME (path includes its
// slashes; "" means "/").
func UserARN(account, path, name string) string { return iamARN(account, "user", path, name) }

// GroupARN returns arn:aws:iam::ACCOUNT:group/PATH/NAME.
func GroupARN(account, path, name string) string { return iamARN(account, "group", path, name) }

// RoleARN returns arn:aws:iam::ACCOUNT:role/PATH/NAME.
func RoleARN(account, path, name string) string { return iamARN(account, "role", path, name) }

// PolicyARN returns arn:aws:iam::ACCOUNT:policy/PATH/NAME; account is
// AWSAccount for AWS managed policies.
func PolicyARN(account, path, name string) string { return iamARN(account, "policy", path, name) }

// InstanceProfileARN returns arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME.
func InstanceProfileARN(account, path, name string) string {
	return iamARN(account, "instance-profile", path, name)
}

// MFASerial returns the serial number of a virtual MFA device,
// arn:aws:iam::ACCOUNT:mfa/PATH/NAME.
func MFASerial(account, path, name string) string { return iamARN(account, "mfa", path, name) }

// RootARN returns arn:aws:iam::ACCOUNT:root.
func RootARN(account string) string { return "arn:" + Partition + ":iam::" + account + ":root" }

// AssumedRoleARN returns the STS ARN of a role session,
// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION. The role's path is not
// part of it (AWS drops it).
func AssumedRoleARN(account, roleName, sessionName string) string {
	return "arn:" + Partition + ":sts::" + account + ":assumed-role/" + roleName + "/" + sessionName
}

// FederatedUserARN returns arn:aws:sts::ACCOUNT:federated-user/NAME.
func FederatedUserARN(account, name string) string {
	return "arn:" + Partition + ":sts::" + account + ":federated-user/" + name
}

// Resource types that appear in IAM and STS ARNs.
const (
	ResourceUser          = "user"
	ResourceGroup         = "group"
	ResourceRole          = "role"
	ResourcePolicy        = "policy"
	ResourceMFA           = "mfa"
	ResourceRoot          = "root"
	ResourceAssumedRole   = "assumed-role"
	ResourceFederatedUser = "federated-user"
)

// EntityRef is an IAM or STS ARN broken into what identifies the entity.
type EntityRef struct {
	Account string
	Type    string // one of the Resource* constants
	Path    string // "/" for root, assumed-role and federated-user
	Name    string // for assumed-role: the role name
	Session string // assumed-role only: the session name
}

// ParseEntityARN parses an IAM ARN (user, group, role, policy, mfa, root) or
// an STS ARN (assumed-role, federated-user) into an EntityRef.
func ParseEntityARN(s string) (EntityRef, error) {
	a, err := ParseARN(s)
	if err != nil {
		return EntityRef{}, err
	}
	if a.Region != "" || a.Account == "" {
		return EntityRef{}, &ARNError{ARN: s, Reason: "IAM and STS ARNs have no region and need an account"}
	}
	ref := EntityRef{Account: a.Account, Path: "/"}
	switch a.Service {
	case "iam":
		if a.Resource == ResourceRoot {
			ref.Type = ResourceRoot
			return ref, nil
		}
		typ, rest, ok := strings.Cut(a.Resource, "/")
		switch typ {
		case ResourceUser, ResourceGroup, ResourceRole, ResourcePolicy, ResourceMFA:
		default:
			ok = false
		}
		if !ok || rest == "" {
			return EntityRef{}, &ARNError{ARN: s, Reason: "unknown IAM resource type"}
		}
		i := strings.LastIndexByte(rest, '/')
		ref.Type, ref.Path, ref.Name = typ, "/"+rest[:i+1], rest[i+1:]
		if i < 0 {
			ref.Path = "/"
		}
		if ref.Name == "" {
			return EntityRef{}, &ARNError{ARN: s, Reason: "empty name"}
		}
		return ref, nil
	case "sts":
		typ, rest, _ := strings.Cut(a.Resource, "/")
		switch typ {
		case ResourceAssumedRole:
			role, session, ok := strings.Cut(rest, "/")
			if !ok || role == "" || session == "" || strings.Contains(session, "/") {
				return EntityRef{}, &ARNError{ARN: s, Reason: "want assumed-role/ROLE/SESSION"}
			}
			ref.Type, ref.Name, ref.Session = typ, role, session
			return ref, nil
		case ResourceFederatedUser:
			if rest == "" || strings.Contains(rest, "/") {
				return EntityRef{}, &ARNError{ARN: s, Reason: "want federated-user/NAME"}
			}
			ref.Type, ref.Name = typ, rest
			return ref, nil
		}
		return EntityRef{}, &ARNError{ARN: s, Reason: "unknown STS resource type"}
	}
	return EntityRef{}, &ARNError{ARN: s, Reason: "not an IAM or STS ARN"}
}
