package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/spf13/cobra"
)

func newPolicyEvalCmd() *cobra.Command {
	var input string
	cmd := &cobra.Command{
		Use:   "eval [--input REQUEST.json]",
		Short: "Decide one request against a set of policies, and say why",
		Long: `Eval reads the policies that apply to a request (identity-based policies, a
resource-based or trust policy, permissions boundaries, session policies) and
the request itself from a JSON document, evaluates them with AWS's
evaluation logic, and prints the decision as JSON: Allowed, ExplicitlyDenied
or ImplicitlyDenied, the statements that matched, and the reason. As on the
server, sts:GetCallerIdentity and sts:GetSessionToken are decided without
policies: a caller with credentials may always call the first, an IAM user or
the root user the second, even against an explicit deny.

The input is read from --input, or from standard input when --input is
absent or "-". The format is described in docs/policy.md.

Exit status: 0 when the request is allowed, 2 when it is denied, 1 when the
input or a policy is invalid (a policy error is AWS's MalformedPolicyDocument).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyEval(cmd, input)
		},
	}
	cmd.Flags().StringVar(&input, "input", "-", `request document, or "-" for standard input`)
	return cmd
}

// evalInput is the input document of `brevet policy eval`. Each policy is
// either a JSON object (the document itself) or a JSON string holding the
// document, as the IAM API returns them.
type evalInput struct {
	IdentityPolicies     []json.RawMessage `json:"identityPolicies"`
	ResourcePolicy       json.RawMessage   `json:"resourcePolicy"`
	ResourcePolicyType   string            `json:"resourcePolicyType"`
	PermissionBoundaries []json.RawMessage `json:"permissionBoundaries"`
	SessionPolicies      []json.RawMessage `json:"sessionPolicies"`
	Request              *evalRequest      `json:"request"`
}

type evalRequest struct {
	Principal        string                     `json:"principal"`
	PrincipalAccount string                     `json:"principalAccount"`
	PrincipalType    string                     `json:"principalType"`
	SessionIssuer    string                     `json:"sessionIssuer"`
	UserName         string                     `json:"userName"`
	UserID           string                     `json:"userId"`
	Action           string                     `json:"action"`
	Resource         string                     `json:"resource"`
	ResourceAccount  string                     `json:"resourceAccount"`
	Context          map[string]json.RawMessage `json:"context"`
}

// evalOutput is the printed decision.
type evalOutput struct {
	Decision          string        `json:"decision"`
	MatchedStatements []evalMatched `json:"matchedStatements"`
	MissingAllow      string        `json:"missingAllow,omitempty"`
	DeniedBy          string        `json:"deniedBy,omitempty"`
	Reason            string        `json:"reason"`
}

type evalMatched struct {
	Policy         string `json:"policy"`
	PolicyType     string `json:"policyType"`
	Sid            string `json:"sid"`
	StatementIndex int    `json:"statementIndex"`
	Effect         string `json:"effect"`
}

// inputError is an invalid input document or policy; it is reported on
// standard error and exits 1.
type inputError struct {
	code string // AWS error code for policy errors, empty otherwise
	msg  string
}

func (e *inputError) Error() string {
	if e.code != "" {
		return e.code + ": " + e.msg
	}
	return e.msg
}

func runPolicyEval(cmd *cobra.Command, input string) error {
	var data []byte
	var err error
	if input == "" || input == "-" {
		data, err = io.ReadAll(cmd.InOrStdin())
	} else {
		data, err = os.ReadFile(input)
	}
	if err != nil {
		return err
	}
	d, err := evaluateInput(data)
	if err != nil {
		var ie *inputError
		if errors.As(err, &ie) {
			fmt.Fprintln(cmd.ErrOrStderr(), "brevet policy eval:", ie.Error())
			return exitCode(1)
		}
		return err
	}
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	if err := enc.Encode(outputOf(d)); err != nil {
		return err
	}
	if d.Outcome != policy.Allowed {
		return exitCode(2)
	}
	return nil
}

// evaluateInput parses, validates and compiles the input's policies, builds
// the request and evaluates it.
func evaluateInput(data []byte) (policy.Decision, error) {
	var in evalInput
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return policy.Decision{}, &inputError{msg: "invalid input document: " + err.Error()}
	}
	if in.Request == nil {
		return policy.Decision{}, &inputError{msg: `invalid input document: "request" is required`}
	}
	var set []*policy.Compiled
	add := func(raws []json.RawMessage, field string, typ policy.Type) error {
		for i, raw := range raws {
			c, err := compileInputPolicy(raw, typ, fmt.Sprintf("%s[%d]", field, i))
			if err != nil {
				return err
			}
			set = append(set, c)
		}
		return nil
	}
	if err := add(in.IdentityPolicies, "identityPolicies", policy.TypeIdentity); err != nil {
		return policy.Decision{}, err
	}
	if err := add(in.PermissionBoundaries, "permissionBoundaries", policy.TypeBoundary); err != nil {
		return policy.Decision{}, err
	}
	if err := add(in.SessionPolicies, "sessionPolicies", policy.TypeSession); err != nil {
		return policy.Decision{}, err
	}
	var resource *policy.Compiled
	if len(in.ResourcePolicy) > 0 && string(in.ResourcePolicy) != "null" {
		typ := policy.TypeResource
		switch in.ResourcePolicyType {
		case "", "resource":
		case "trust":
			typ = policy.TypeTrust
		default:
			return policy.Decision{}, &inputError{msg: fmt.Sprintf(`invalid input document: resourcePolicyType %q (want "resource" or "trust")`, in.ResourcePolicyType)}
		}
		c, err := compileInputPolicy(in.ResourcePolicy, typ, "resourcePolicy")
		if err != nil {
			return policy.Decision{}, err
		}
		resource = c
	}
	req, err := requestOf(in.Request)
	if err != nil {
		return policy.Decision{}, err
	}
	s, err := policy.NewSet(set...)
	if err != nil {
		return policy.Decision{}, err
	}
	if d, ok := policy.Unevaluated(&req.Caller, req.Action); ok {
		return d, nil // the server does not authorize these actions either
	}
	return s.Evaluate(req, resource), nil
}

// compileInputPolicy accepts a policy as a JSON object or as a JSON string
// holding the document, validates it as AWS would for its type and
// compiles it.
func compileInputPolicy(raw json.RawMessage, typ policy.Type, name string) (*policy.Compiled, error) {
	doc := []byte(raw)
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return nil, &inputError{msg: fmt.Sprintf("%s: %v", name, err)}
		}
		doc = []byte(s)
	}
	parsed, err := policy.ParseAndValidate(doc, typ)
	if err != nil {
		var m *policy.MalformedError
		if errors.As(err, &m) {
			return nil, &inputError{code: "MalformedPolicyDocument", msg: name + ": " + m.Message}
		}
		return nil, &inputError{msg: name + ": " + err.Error()}
	}
	c, err := policy.Compile(parsed, typ, name)
	if err != nil {
		var ce *policy.CompileError
		if errors.As(err, &ce) {
			return nil, &inputError{code: "MalformedPolicyDocument", msg: fmt.Sprintf("%s: statement %d: %v", name, ce.Statement, ce.Err)}
		}
		return nil, &inputError{code: "MalformedPolicyDocument", msg: name + ": " + err.Error()}
	}
	return c, nil
}

// requestOf builds the policy request. The principal's kind, account and
// (for a role session) role ARN are derived from its ARN; principalType,
// principalAccount and sessionIssuer override them.
func requestOf(r *evalRequest) (*policy.Request, error) {
	caller := policy.CallerFromARN(r.Principal)
	if r.PrincipalType != "" {
		k, ok := policy.ParsePrincipalKind(r.PrincipalType)
		if !ok {
			return nil, &inputError{msg: fmt.Sprintf("invalid input document: unknown principalType %q", r.PrincipalType)}
		}
		caller.Kind = k
		if (k == policy.WebIdentity || k == policy.SAMLUser) && caller.Provider == "" {
			caller.Provider = r.Principal
		}
	}
	if r.PrincipalAccount != "" {
		caller.Account = r.PrincipalAccount
	}
	if r.SessionIssuer != "" {
		caller.SessionIssuer = r.SessionIssuer
	}
	if r.UserName != "" {
		caller.UserName = r.UserName
	}
	caller.UserID = r.UserID
	req := &policy.Request{Caller: caller, Action: r.Action, Resource: r.Resource, ResourceAccount: r.ResourceAccount}
	if req.Action == "" {
		return nil, &inputError{msg: `invalid input document: request.action is required`}
	}
	if req.Resource == "" {
		req.Resource = "*"
	}
	keys := make([]string, 0, len(r.Context))
	for k := range r.Context {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vals, err := contextValues(r.Context[k])
		if err != nil {
			return nil, &inputError{msg: fmt.Sprintf("invalid input document: context key %q: %v", k, err)}
		}
		req.Context.Add(k, vals...)
	}
	return req, nil
}

// contextValues reads a context value: a string, number or boolean (one
// value) or an array of them (a multivalued key; [] is the empty set).
func contextValues(raw json.RawMessage) ([]string, error) {
	var list []json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, err
		}
	} else {
		list = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, err := scalarText(v)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func scalarText(raw json.RawMessage) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("want a string, number, boolean or an array of them, got %s", bytes.TrimSpace(raw))
}

func outputOf(d policy.Decision) evalOutput {
	out := evalOutput{Decision: d.Outcome.String(), MatchedStatements: []evalMatched{}, Reason: d.Reason}
	if d.MissingAllow != 0 {
		out.MissingAllow = d.MissingAllow.String()
	}
	if d.DeniedBy != 0 {
		out.DeniedBy = d.DeniedBy.String()
	}
	for _, m := range d.Matched {
		out.MatchedStatements = append(out.MatchedStatements, evalMatched{
			Policy: m.Policy, PolicyType: m.PolicyType.String(), Sid: m.Sid, StatementIndex: m.Index, Effect: string(m.Effect),
		})
	}
	return out
}
