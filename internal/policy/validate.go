package policy

import (
	"fmt"
	"strings"
)

// AWS's MalformedPolicyDocument messages. They are part of the API: SDKs
// and tools show them to people, and tests compare them exactly.
const (
	msgVersion          = "Policy document must be version 2012-10-17 or greater."
	msgLegacy           = "The policy failed legacy parsing"
	msgSidUnique        = "Statement IDs (SID) in a single policy must be unique."
	msgNoActions        = "Policy statement must contain actions."
	msgNoResources      = "Policy statement must contain resources."
	msgNoVendor         = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon         = "Actions/Condition can contain only one colon."
	msgVendorFmt        = "Vendor %s is not valid"
	msgNotARNFmt        = `Resource %s must be in ARN format or "*".`
	msgPartitionFmt     = `Partition "%s" is not valid for resource "arn:%s:%s:%s:%s:%s".`
	msgVendorQualified  = "Resource vendor must be fully qualified and cannot contain regexes."
	msgIAMRegionFmt     = "IAM resource %s cannot contain region information."
	msgS3RegionFmt      = "Resource %s can not contain region information."
	msgIAMPathFmt       = `IAM resource path must either be "*" or start with %s.`
	msgPrincipalInIdent = "Policy document should not specify a principal."
	msgProhibitedFmt    = "Has prohibited field %s"
	msgMissingPrincipal = "Missing required field Principal"
	msgTrustActions     = "AssumeRole policy may only specify STS AssumeRole actions."
	msgBadPrincipalFmt  = "Invalid principal in policy: %s"
)

// ParseAndValidate parses data and validates it as a policy of type t. It
// does not check size limits: those depend on where the document is stored
// (see the Check*Size functions).
func ParseAndValidate(data []byte, t Type) (*Document, error) {
	doc, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := Validate(doc, t); err != nil {
		return nil, err
	}
	return doc, nil
}

// Validate checks doc against AWS's rules for a policy of type t and returns
// a *MalformedError with AWS's message for the first rule it breaks, or nil.
//
// AWS checks in a fixed order and reports only the first failure, so the
// order of the steps below is part of the behaviour: a document that breaks
// two rules must get the message AWS gives, not the other one. The order
// is: syntax, version, the elements the policy type requires or forbids,
// "legacy parsing" (Effect case, date values, ARN shapes), Sid uniqueness,
// presence of actions and resources, resource ARN format, action vendors,
// then the trust-policy action and principal rules.
//
// Validate checks form only. Whether a named principal exists, or whether an
// action or condition key is one a service defines, is not AWS's validation
// (except for principals, which the IAM service checks against its store);
// Lint reports the second kind as warnings.
func Validate(doc *Document, t Type) error {
	if t < TypeIdentity || t > TypeBoundary {
		return fmt.Errorf("policy: Validate: unknown policy type %d", int(t))
	}
	if doc == nil {
		return syntaxError()
	}
	v := &validator{doc: doc, t: t}
	steps := []func() string{
		v.syntax,
		v.version,
		v.elementsForType,
		v.legacy,
		v.sidsUnique,
		v.actionsPresent,
		v.resourcesPresent,
		v.resourceFormat,
		v.actionVendors,
		v.trustActions,
		v.principals,
	}
	for _, step := range steps {
		if msg := step(); msg != "" {
			return &MalformedError{Message: msg}
		}
	}
	return nil
}

type validator struct {
	doc *Document
	t   Type
	// resourceErr is the resource-format message found during legacy
	// parsing; AWS reports it only after the Sid and presence checks.
	resourceErr string
}

// forbidsPrincipal reports whether the policy type is attached to an
// identity or session, where the principal is implicit.
func (t Type) forbidsPrincipal() bool {
	return t == TypeIdentity || t == TypeSession || t == TypeBoundary
}

func (v *validator) syntax() string {
	d := v.doc
	if len(d.Statements) == 0 {
		return msgSyntax
	}
	switch d.Version {
	case "", Version2012, Version2008:
	default:
		return msgSyntax
	}
	for i := range d.Statements {
		if !statementSyntaxOK(&d.Statements[i]) {
			return msgSyntax
		}
	}
	return ""
}

func statementSyntaxOK(s *Statement) bool {
	if !strings.EqualFold(string(s.Effect), string(Allow)) && !strings.EqualFold(string(s.Effect), string(Deny)) {
		return false
	}
	if (s.Action != nil && s.NotAction != nil) ||
		(s.Resource != nil && s.NotResource != nil) ||
		(s.Principal != nil && s.NotPrincipal != nil) {
		return false
	}
	for _, c := range s.Condition {
		if _, ok := splitValidOperator(c.Operator); !ok {
			return false
		}
	}
	return true
}

// validOperatorNames are the operators AWS accepts, without the
// ForAnyValue:/ForAllValues: qualifier and the IfExists suffix.
var validOperatorNames = map[string]bool{
	"StringEquals": true, "StringNotEquals": true,
	"StringEqualsIgnoreCase": true, "StringNotEqualsIgnoreCase": true,
	"StringLike": true, "StringNotLike": true,
	"NumericEquals": true, "NumericNotEquals": true,
	"NumericLessThan": true, "NumericLessThanEquals": true,
	"NumericGreaterThan": true, "NumericGreaterThanEquals": true,
	"DateEquals": true, "DateNotEquals": true,
	"DateLessThan": true, "DateLessThanEquals": true,
	"DateGreaterThan": true, "DateGreaterThanEquals": true,
	"Bool": true, "BinaryEquals": true,
	"IpAddress": true, "NotIpAddress": true,
	"ArnEquals": true, "ArnLike": true, "ArnNotEquals": true, "ArnNotLike": true,
	"Null": true,
}

// splitValidOperator strips one set qualifier and one IfExists suffix from op and
// reports whether what remains is an operator AWS knows.
func splitValidOperator(op string) (string, bool) {
	if rest, ok := strings.CutPrefix(op, "ForAnyValue:"); ok {
		op = rest
	} else if rest, ok := strings.CutPrefix(op, "ForAllValues:"); ok {
		op = rest
	}
	op = strings.TrimSuffix(op, "IfExists")
	return op, validOperatorNames[op]
}

func (v *validator) version() string {
	if v.t == TypeTrust || v.t == TypeResource {
		// Trust and resource policies still accept 2008-10-17 and a
		// missing Version; IAM refuses both for permission policies.
		return ""
	}
	if v.doc.Version != Version2012 {
		return msgVersion
	}
	return ""
}

func (v *validator) elementsForType() string {
	for i := range v.doc.Statements {
		s := &v.doc.Statements[i]
		switch {
		case v.t.forbidsPrincipal():
			if s.Principal != nil || s.NotPrincipal != nil {
				return msgPrincipalInIdent
			}
		case v.t == TypeTrust:
			switch {
			case s.NotPrincipal != nil:
				return fmt.Sprintf(msgProhibitedFmt, "NotPrincipal")
			case s.Resource != nil:
				return fmt.Sprintf(msgProhibitedFmt, "Resource")
			case s.NotResource != nil:
				return fmt.Sprintf(msgProhibitedFmt, "NotResource")
			case s.Principal == nil:
				return msgMissingPrincipal
			}
		case v.t == TypeResource:
			if s.Principal == nil && s.NotPrincipal == nil {
				return msgMissingPrincipal
			}
		}
	}
	return ""
}

func (v *validator) legacy() string {
	for i := range v.doc.Statements {
		s := &v.doc.Statements[i]
		if s.Effect != Allow && s.Effect != Deny {
			return msgLegacy // Effect is case-sensitive here, not in syntax
		}
		for _, c := range s.Condition {
			base, _ := splitValidOperator(c.Operator)
			if !strings.HasPrefix(base, "Date") {
				continue
			}
			for _, val := range c.Values {
				if !legacyDateOK(val) {
					return msgLegacy
				}
			}
		}
	}
	// Resource elements of every statement, then NotResource elements.
	for _, notResource := range []bool{false, true} {
		for i := range v.doc.Statements {
			s := &v.doc.Statements[i]
			vals := s.Resource
			if notResource {
				vals = s.NotResource
			}
			if vals == nil {
				continue
			}
			if msg := v.checkResourceFormats(vals); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// checkResourceFormats records the format error of one element's resources
// in v.resourceErr and, while no format error has been seen in the
// document, applies the legacy ARN checks, whose failure is reported at
// once.
func (v *validator) checkResourceFormats(vals Values) string {
	// AWS reports, of an element's malformed resources, the one that sorts
	// first; a later element's error replaces an earlier one.
	var elemErr string
	var first string
	for _, r := range vals {
		if msg := resourceFormatError(r); msg != "" && (elemErr == "" || r < first) {
			elemErr, first = msg, r
		}
	}
	if elemErr != "" {
		v.resourceErr = elemErr
	}
	if v.resourceErr != "" {
		return ""
	}
	for _, r := range vals {
		if !legacyResourceOK(r) {
			return msgLegacy
		}
	}
	return ""
}

// legacyResourceOK is the older ARN parser's view: an ARN must name its
// service, and an empty field ("::") is only allowed in a full six-part ARN.
func legacyResourceOK(r string) bool {
	if r == "*" {
		return true
	}
	if strings.Count(r, ":") < 5 && strings.Contains(r, "::") {
		return false
	}
	fields := strings.SplitN(r, ":", 4)
	return len(fields) >= 3 && fields[2] != ""
}

// validPartitions are the partitions a resource ARN may name. Brevet
// presents itself as the aws partition.
var validPartitions = map[string]bool{"aws": true, "*": true}

// iamResourcePrefixes are the resource types an IAM ARN may name.
var iamResourcePrefixes = []string{
	"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
	"server-certificate/", "policy/", "sms-mfa/", "saml-provider/",
	"oidc-provider/", "report/", "access-report/",
}

// resourceFormatError returns AWS's message for a malformed Resource or
// NotResource value, or "".
func resourceFormatError(r string) string {
	if r == "*" {
		return ""
	}
	_, rest, ok := strings.Cut(r, ":") // the "arn" field, whatever it says
	if !ok {
		return fmt.Sprintf(msgNotARNFmt, r)
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !validPartitions[partition] {
		return partitionError(partition, rest)
	}
	if !ok {
		return msgVendorQualified
	}
	service, rest, hasRegion := strings.Cut(rest, ":")
	region, rest, _ := strings.Cut(rest, ":")
	account, rest, _ := strings.Cut(rest, ":")
	switch {
	case service == "iam" && (region != "" || !hasRegion):
		return fmt.Sprintf(msgIAMRegionFmt, r)
	case service == "s3" && (region != "" && account == "" || !hasRegion):
		// Buckets and objects are global; access points, jobs and
		// other account-owned S3 resources are regional.
		return fmt.Sprintf(msgS3RegionFmt, r)
	}
	if service == "iam" {
		if rest == "*" || rest == "root" {
			return ""
		}
		for _, p := range iamResourcePrefixes {
			if strings.HasPrefix(rest, p) {
				return ""
			}
		}
		return fmt.Sprintf(msgIAMPathFmt, strings.Join(iamResourcePrefixes, ", "))
	}
	return ""
}

// partitionError quotes the resource back as a six-field ARN, filling
// missing fields with "*", as AWS does.
func partitionError(partition, rest string) string {
	parts := strings.Split(rest, ":")
	field := func(i int) string {
		if i < len(parts) && !(len(parts) == 1 && parts[0] == "") {
			return parts[i]
		}
		return "*"
	}
	resource := "*"
	if len(parts) > 3 {
		resource = strings.Join(parts[3:], ":")
	}
	return fmt.Sprintf(msgPartitionFmt, partition, partition, field(0), field(1), field(2), resource)
}

func (v *validator) sidsUnique() string {
	seen := make(map[string]bool, len(v.doc.Statements))
	for _, s := range v.doc.Statements {
		if s.Sid == "" {
			continue // an empty Sid may repeat
		}
		if seen[s.Sid] {
			return msgSidUnique
		}
		seen[s.Sid] = true
	}
	return ""
}

func (v *validator) actionsPresent() string {
	for _, s := range v.doc.Statements {
		if len(s.Action) == 0 && len(s.NotAction) == 0 {
			return msgNoActions
		}
	}
	return ""
}

func (v *validator) resourcesPresent() string {
	if v.t == TypeTrust {
		return "" // the role is the resource
	}
	for _, s := range v.doc.Statements {
		if len(s.Resource) == 0 && len(s.NotResource) == 0 {
			return msgNoResources
		}
	}
	return ""
}

func (v *validator) resourceFormat() string { return v.resourceErr }

func (v *validator) actionVendors() string {
	for _, notAction := range []bool{false, true} {
		for _, s := range v.doc.Statements {
			vals := s.Action
			if notAction {
				vals = s.NotAction
			}
			for _, a := range vals {
				if msg := actionVendorError(a); msg != "" {
					return msg
				}
			}
		}
	}
	return ""
}

func actionVendorError(action string) string {
	vendor, name, ok := strings.Cut(action, ":")
	if !ok {
		if action == "*" {
			return ""
		}
		return msgNoVendor
	}
	if strings.Contains(name, ":") {
		return msgOneColon
	}
	if vendor == "*" {
		return ""
	}
	for _, c := range vendor {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return fmt.Sprintf(msgVendorFmt, vendor)
		}
	}
	return ""
}

// trustActions are the actions a role trust policy may grant: assuming the
// role, and the session features an assumer asks for at the same time.
var trustActionNames = []string{
	"assumerole", "assumerolewithsaml", "assumerolewithwebidentity",
	"tagsession", "setsourceidentity", "setcontext",
}

func (v *validator) trustActions() string {
	if v.t != TypeTrust {
		return ""
	}
	for _, s := range v.doc.Statements {
		for _, a := range append(append(Values{}, s.Action...), s.NotAction...) {
			if !isTrustAction(a) {
				return msgTrustActions
			}
		}
	}
	return ""
}

func isTrustAction(a string) bool {
	vendor, name, _ := strings.Cut(strings.ToLower(a), ":")
	if vendor != "sts" {
		return false
	}
	for _, t := range trustActionNames {
		if globMatch(name, t) {
			return true
		}
	}
	return false
}

// globMatch reports whether s matches pattern, where * matches any run
// of characters and ? any one character.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
