package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/policy/servicereference"
	"github.com/spf13/cobra"
)

// policyTypes maps --type values to policy types.
var policyTypes = map[string]policy.Type{
	"identity": policy.TypeIdentity,
	"resource": policy.TypeResource,
	"trust":    policy.TypeTrust,
	"session":  policy.TypeSession,
	"boundary": policy.TypeBoundary,
}

type validateOptions struct {
	typeName  string
	reference string
	strict    bool
	output    string
}

func newPolicyValidateCmd() *cobra.Command {
	var o validateOptions
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check policy documents as AWS would, and warn about likely mistakes",
		Long: `Validate checks each policy document (a file, or - for standard input) with
the rules and messages of AWS IAM for the given policy type, including its
size quota, and prints AWS's error for each invalid one. Valid documents are
then checked for likely mistakes, printed as warnings: resources that no
action in their statement can act on, and condition operators of the wrong
type for their key. With --service-reference it also warns about actions,
action patterns and service condition keys that do not exist.

Exit status: 0 when every document is valid, 1 when any is invalid (or, with
--strict, has a warning).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyValidate(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.typeName, "type", "identity", "policy type: identity, resource, trust, session or boundary")
	f.StringVar(&o.reference, "service-reference", "", "folder of the AWS Service Authorization Reference (iam-data JSON layout)")
	f.BoolVar(&o.strict, "strict", false, "exit 1 when there are warnings")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	return cmd
}

// fileResult is what validate reports for one file; it is also the JSON
// output, one element per file.
type fileResult struct {
	File     string          `json:"file"`
	Valid    bool            `json:"valid"`
	Error    *resultError    `json:"error,omitempty"`
	Warnings []resultWarning `json:"warnings"`
}

type resultError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type resultWarning struct {
	Statement int    `json:"statement"`
	Sid       string `json:"sid,omitempty"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

func runPolicyValidate(cmd *cobra.Command, o validateOptions, files []string) error {
	typ, ok := policyTypes[o.typeName]
	if !ok {
		return fmt.Errorf("unknown --type %q (want identity, resource, trust, session or boundary)", o.typeName)
	}
	if o.output != "text" && o.output != "json" {
		return fmt.Errorf("unknown --output %q (want text or json)", o.output)
	}
	var cat policy.Catalog
	if o.reference != "" {
		ref, err := servicereference.Load(os.DirFS(o.reference))
		if err != nil {
			return fmt.Errorf("--service-reference: %w", err)
		}
		cat = ref
	}
	results := make([]fileResult, 0, len(files))
	for _, name := range files {
		data, err := readPolicyFile(cmd.InOrStdin(), name)
		if err != nil {
			results = append(results, fileResult{File: name, Error: &resultError{Code: "ReadError", Message: err.Error()}, Warnings: []resultWarning{}})
			continue
		}
		results = append(results, validateOne(name, data, typ, cat))
	}
	out := cmd.OutOrStdout()
	if o.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		printValidateText(out, results)
	}
	for _, r := range results {
		if !r.Valid || (o.strict && len(r.Warnings) > 0) {
			return exitCode(1)
		}
	}
	return nil
}

func readPolicyFile(stdin io.Reader, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// validateOne parses, validates, checks the size quota of, and lints one
// document.
func validateOne(name string, data []byte, typ policy.Type, cat policy.Catalog) fileResult {
	r := fileResult{File: name, Warnings: []resultWarning{}}
	doc, err := policy.ParseAndValidate(data, typ)
	if err == nil {
		err = checkSize(data, typ)
	}
	if err != nil {
		r.Error = wireError(err)
		return r
	}
	r.Valid = true
	for _, w := range policy.Lint(doc, cat) {
		r.Warnings = append(r.Warnings, resultWarning{Statement: w.Statement, Sid: w.Sid, Code: w.Code, Message: w.Message})
	}
	return r
}

// checkSize applies the quota of where a document of this type is stored:
// a managed policy for identity and boundary policies (inline policies
// share a per-identity total, which needs the identity's other policies),
// a role for trust policies, the STS parameter for session policies.
// Resource policies have per-service limits that Brevet does not store.
func checkSize(data []byte, typ policy.Type) error {
	switch typ {
	case policy.TypeIdentity, policy.TypeBoundary:
		return policy.CheckManagedPolicySize(data)
	case policy.TypeTrust:
		return policy.CheckTrustPolicySize(data, 0)
	case policy.TypeSession:
		return policy.CheckSessionPolicySize(data)
	}
	return nil
}

// wireError names an error with the AWS error code a client would see.
func wireError(err error) *resultError {
	var malformed *policy.MalformedError
	var limit *policy.LimitError
	switch {
	case errors.As(err, &malformed):
		return &resultError{Code: "MalformedPolicyDocument", Message: malformed.Message}
	case errors.As(err, &limit):
		code := "LimitExceeded"
		if limit.Quota == policy.QuotaSessionPolicy {
			code = "ValidationError"
		}
		return &resultError{Code: code, Message: limit.Message}
	}
	return &resultError{Code: "Error", Message: err.Error()}
}

func printValidateText(w io.Writer, results []fileResult) {
	for _, r := range results {
		switch {
		case r.Error != nil:
			fmt.Fprintf(w, "%s: %s: %s\n", r.File, r.Error.Code, r.Error.Message)
		case len(r.Warnings) == 0:
			fmt.Fprintf(w, "%s: valid\n", r.File)
		default:
			fmt.Fprintf(w, "%s: valid, %d %s\n", r.File, len(r.Warnings), plural(len(r.Warnings), "warning"))
		}
		for _, wn := range r.Warnings {
			where := fmt.Sprintf("statement %d", wn.Statement)
			if wn.Sid != "" {
				where += " (" + wn.Sid + ")"
			}
			fmt.Fprintf(w, "%s: warning: %s: %s [%s]\n", r.File, where, wn.Message, wn.Code)
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return strings.TrimSuffix(word, "s") + "s"
}
