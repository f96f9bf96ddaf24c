package policy

import "strings"

// KeyType is the data type of a condition key's value: which family of
// condition operators can compare it.
type KeyType string

// The key types of the IAM User Guide and the Service Authorization
// Reference (which writes multivalued keys as ArrayOfString and so on).
const (
	KeyString    KeyType = "String"
	KeyARN       KeyType = "ARN"
	KeyBool      KeyType = "Bool"
	KeyNumeric   KeyType = "Numeric"
	KeyDate      KeyType = "Date"
	KeyIPAddress KeyType = "IPAddress"
	KeyBinary    KeyType = "Binary"
)

// globalKey is one aws:* key: the types of operator it works with, and
// whether a request can carry several values for it.
type globalKey struct {
	types []KeyType
	multi bool
}

// globalKeys are the global condition keys of the IAM User Guide
// (reference_policies_condition-keys), by lower-case name. A key written
// with a trailing "/" takes a tag key after it.
var globalKeys = map[string]globalKey{
	"aws:calledvia":                    {types: []KeyType{KeyString}, multi: true},
	"aws:calledviafirst":               {types: []KeyType{KeyString}},
	"aws:calledvialast":                {types: []KeyType{KeyString}},
	"aws:currenttime":                  {types: []KeyType{KeyDate}},
	"aws:ec2instancesourcevpc":         {types: []KeyType{KeyString}},
	"aws:ec2instancesourceprivateipv4": {types: []KeyType{KeyIPAddress}},
	"aws:epochtime":                    {types: []KeyType{KeyDate, KeyNumeric}},
	"aws:federatedprovider":            {types: []KeyType{KeyString}},
	"aws:multifactorauthage":           {types: []KeyType{KeyNumeric}},
	"aws:multifactorauthpresent":       {types: []KeyType{KeyBool}},
	"aws:principalaccount":             {types: []KeyType{KeyString}},
	"aws:principalarn":                 {types: []KeyType{KeyARN, KeyString}},
	"aws:principalisawsservice":        {types: []KeyType{KeyBool}},
	"aws:principalorgid":               {types: []KeyType{KeyString}},
	"aws:principalorgpaths":            {types: []KeyType{KeyString}, multi: true},
	"aws:principalservicename":         {types: []KeyType{KeyString}},
	"aws:principalservicenameslist":    {types: []KeyType{KeyString}, multi: true},
	"aws:principaltag/":                {types: []KeyType{KeyString}},
	"aws:principaltype":                {types: []KeyType{KeyString}},
	"aws:referer":                      {types: []KeyType{KeyString}},
	"aws:requestedregion":              {types: []KeyType{KeyString}},
	"aws:requesttag/":                  {types: []KeyType{KeyString}},
	"aws:resourceaccount":              {types: []KeyType{KeyString}},
	"aws:resourceorgid":                {types: []KeyType{KeyString}},
	"aws:resourceorgpaths":             {types: []KeyType{KeyString}, multi: true},
	"aws:resourcetag/":                 {types: []KeyType{KeyString}},
	"aws:securetransport":              {types: []KeyType{KeyBool}},
	"aws:sourceaccount":                {types: []KeyType{KeyString}},
	"aws:sourcearn":                    {types: []KeyType{KeyARN, KeyString}},
	"aws:sourceidentity":               {types: []KeyType{KeyString}},
	"aws:sourceip":                     {types: []KeyType{KeyIPAddress}},
	"aws:sourceorgid":                  {types: []KeyType{KeyString}},
	"aws:sourceorgpaths":               {types: []KeyType{KeyString}, multi: true},
	"aws:sourcevpc":                    {types: []KeyType{KeyString}},
	"aws:sourcevpce":                   {types: []KeyType{KeyString}},
	"aws:tagkeys":                      {types: []KeyType{KeyString}, multi: true},
	"aws:tokenissuetime":               {types: []KeyType{KeyDate}},
	"aws:useragent":                    {types: []KeyType{KeyString}},
	"aws:userid":                       {types: []KeyType{KeyString}},
	"aws:username":                     {types: []KeyType{KeyString}},
	"aws:viaawsservice":                {types: []KeyType{KeyBool}},
	"aws:vpcsourceip":                  {types: []KeyType{KeyIPAddress}},
	"aws:vpceaccount":                  {types: []KeyType{KeyString}},
	"aws:vpceorgid":                    {types: []KeyType{KeyString}},
	"aws:vpceorgpaths":                 {types: []KeyType{KeyString}, multi: true},
	// Newer than the 2023 User Guide, and used in AWS managed policies.
	"aws:ismcpserviceaction":          {types: []KeyType{KeyBool}},
	"aws:principalorgmasteraccountid": {types: []KeyType{KeyString}},
}

// lookupGlobalKey finds an aws:* key, tag keys included.
func lookupGlobalKey(key string) (globalKey, bool) {
	lower := strings.ToLower(key)
	if k, ok := globalKeys[lower]; ok {
		return k, true
	}
	if i := strings.IndexByte(lower, '/'); i > 0 && i < len(lower)-1 {
		k, ok := globalKeys[lower[:i+1]]
		return k, ok
	}
	return globalKey{}, false
}

// referenceKeyType converts a Service Authorization Reference type
// ("ArrayOfARN") to the operator family it works with and whether the key
// is multivalued.
func referenceKeyType(t string) (KeyType, bool) {
	if rest, ok := strings.CutPrefix(t, "ArrayOf"); ok {
		return KeyType(rest), true
	}
	return KeyType(t), false
}

// operatorKeyType is the key type an operator compares, or "" for Null
// (which tests presence only, so works on any key).
func operatorKeyType(op string) KeyType {
	base, _ := splitValidOperator(op)
	switch {
	case strings.HasPrefix(base, "String"):
		return KeyString
	case strings.HasPrefix(base, "Numeric"):
		return KeyNumeric
	case strings.HasPrefix(base, "Date"):
		return KeyDate
	case base == "Bool":
		return KeyBool
	case base == "BinaryEquals":
		return KeyBinary
	case base == "IpAddress" || base == "NotIpAddress":
		return KeyIPAddress
	case strings.HasPrefix(base, "Arn"):
		return KeyARN
	}
	return ""
}

// operatorFits reports whether an operator of family op can compare a key
// of one of the given types. String and ARN operators both compare text, and
// AWS documents each on the other's keys (ArnLike on an encryption context
// that holds an ARN is common and correct), so they are treated as one
// family. A Binary comparison is not checked, as no key is typed Binary.
func operatorFits(op KeyType, types []KeyType) bool {
	if op == "" || op == KeyBinary {
		return true
	}
	text := func(t KeyType) bool { return t == KeyString || t == KeyARN }
	for _, t := range types {
		if t == op || (text(op) && text(t)) {
			return true
		}
	}
	return false
}
