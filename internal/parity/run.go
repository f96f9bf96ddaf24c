// Package parity is Brevet's AWS parity suite: case files, each a
// scenario of Query requests and what AWS answers to them (status, error
// code and message, members present or absent, values), written in our
// own words from public sources (the botocore models, the IAM and STS API
// references and user guides). Run sends each request to a server and
// reports where the answer differs; internal/node's TestParity runs every
// case file against a fresh node.
package parity

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Creds are the credentials a case signs with.
type Creds struct{ AccessKeyID, SecretAccessKey, SessionToken string }

// A Sender sends one Query request to service ("iam" or "sts") signed
// with creds (nil: the account's admin) and returns the status and body.
type Sender func(ctx context.Context, service string, creds *Creds, form url.Values) (status int, body []byte, err error)

// Versions are the Query API versions of the services a case can call.
var Versions = map[string]string{"iam": "2010-05-08", "sts": "2011-06-15"}

// An Outcome is what one case got.
type Outcome struct {
	File     string
	Case     *Case
	Problems []string // empty when the answer is what the case expects
}

// Matched reports whether the answer was what AWS answers.
func (o Outcome) Matched() bool { return len(o.Problems) == 0 }

func (o Outcome) String() string {
	return fmt.Sprintf("%s:%d %s %s: %s", o.File, o.Case.Line, o.Case.Service, o.Case.Title, strings.Join(o.Problems, "; "))
}

// LoadDir parses every *.txt file in dir, in name order.
func LoadDir(dir string) ([]*File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files []*File
	for _, n := range names {
		fh, err := os.Open(n)
		if err != nil {
			return nil, err
		}
		f, err := Parse(filepath.Base(n), fh)
		fh.Close()
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// Run sends f's cases in order; vars seeds the substitutions (it needs
// "account").
func Run(ctx context.Context, f *File, send Sender, vars map[string]string) []Outcome {
	vals := map[string]string{}
	for k, v := range f.Lets {
		vals[k] = v
	}
	for k, v := range vars {
		vals[k] = v
	}
	creds := map[string]*Creds{}
	out := make([]Outcome, 0, len(f.Cases))
	for _, c := range f.Cases {
		out = append(out, Outcome{File: f.Name, Case: c, Problems: runCase(ctx, c, send, vals, creds)})
	}
	return out
}

var varRef = regexp.MustCompile(`\{([a-zA-Z][\w-]*)\}`)

// expand replaces each {name} that vals defines; others stay as written.
func expand(s string, vals map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vals[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

func runCase(ctx context.Context, c *Case, send Sender, vals map[string]string, creds map[string]*Creds) []string {
	form := url.Values{"Action": {c.Action}, "Version": {Versions[c.Service]}}
	for _, p := range c.Params {
		form.Add(p.Name, expand(p.Value, vals))
	}
	var cr *Creds
	if c.As != "" {
		if cr = creds[c.As]; cr == nil {
			return []string{"no credentials saved as " + c.As}
		}
	}
	status, body, err := send(ctx, c.Service, cr, form)
	if err != nil {
		return []string{"send: " + err.Error()}
	}
	root, err := parseXML(body)
	if err != nil {
		return []string{fmt.Sprintf("status %d, answer is not XML (%v): %.200q", status, err, body)}
	}
	var problems []string
	if status != c.Status {
		problems = append(problems, fmt.Sprintf("status %d, want %d", status, c.Status))
	}
	var base *node
	if root.name == "ErrorResponse" {
		base = root.child("Error")
		if base == nil {
			base = &node{}
		}
		got := fmt.Sprintf("%s %s", text(base.child("Type")), text(base.child("Code")))
		if c.ErrCode == "" {
			return append(problems, fmt.Sprintf("error %s %q, want success", got, text(base.child("Message"))))
		}
		if want := c.ErrType + " " + c.ErrCode; got != want {
			problems = append(problems, fmt.Sprintf("error %s, want %s", got, want))
		}
	} else {
		if c.ErrCode != "" {
			return append(problems, fmt.Sprintf("success, want error %s %s", c.ErrType, c.ErrCode))
		}
		base = root.child(c.Action + "Result")
		if base == nil {
			if len(c.Expects) > 0 {
				// Without it every <absent> would hold whatever came back.
				return append(problems, fmt.Sprintf("no <%sResult> in the answer (root <%s>)", c.Action, root.name))
			}
			base = &node{}
		}
	}
	for _, e := range c.Expects {
		if p := check(e, base, vals, creds); p != "" {
			problems = append(problems, fmt.Sprintf("line %d: %s", e.Line, p))
		}
	}
	return problems
}

func text(n *node) string {
	if n == nil {
		return ""
	}
	return n.value()
}

func check(e Expect, base *node, vals map[string]string, creds map[string]*Creds) string {
	n := base.find(expand(e.Path, vals))
	switch e.Kind {
	case Absent:
		if n != nil {
			return fmt.Sprintf("%s is present (%q), want absent", e.Path, short(n.value()))
		}
		return ""
	case Save:
		if n == nil {
			return fmt.Sprintf("%s is absent, cannot save it", e.Path)
		}
		vals[e.Value] = n.value()
		return ""
	case SaveCreds:
		if n == nil {
			return fmt.Sprintf("%s is absent, cannot save credentials", e.Path)
		}
		creds[e.Value] = &Creds{AccessKeyID: text(n.child("AccessKeyId")), SecretAccessKey: text(n.child("SecretAccessKey")),
			SessionToken: text(n.child("SessionToken"))}
		return ""
	}
	if n == nil {
		return fmt.Sprintf("%s is absent", e.Path)
	}
	switch e.Kind {
	case Equal:
		if want := expand(e.Value, vals); n.value() != want {
			return fmt.Sprintf("%s = %q, want %q", e.Path, short(n.value()), want)
		}
	case Match:
		re, err := regexp.Compile(expand(e.Value, vals))
		if err != nil {
			return err.Error()
		}
		if !re.MatchString(n.value()) {
			return fmt.Sprintf("%s = %q, want ~%s", e.Path, short(n.value()), re)
		}
	case Empty:
		if len(n.children) > 0 || strings.TrimSpace(n.text) != "" {
			return fmt.Sprintf("%s is not empty", e.Path)
		}
	case Children:
		var got []string
		for _, c := range n.children {
			if !slices.Contains(got, c.name) {
				got = append(got, c.name)
			}
		}
		want := slices.Clone(e.Names)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Sprintf("%s has [%s], want [%s]", e.Path, strings.Join(got, " "), strings.Join(want, " "))
		}
	}
	return ""
}

func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// A Score sums outcomes.
type Score struct {
	Counted, Matched int
	Unexpected       []Outcome // counted cases that differ without a differs: line
	StaleDiffers     []Outcome // cases marked differs: that match
	Setup            []Outcome // setup cases that did not get what they expect
}

// Rate is the share of counted cases whose answer matched AWS's.
func (s Score) Rate() float64 {
	if s.Counted == 0 {
		return 0
	}
	return float64(s.Matched) / float64(s.Counted)
}

func (s Score) String() string {
	return strconv.Itoa(s.Matched) + "/" + strconv.Itoa(s.Counted) + " cases match AWS (" + strconv.FormatFloat(100*s.Rate(), 'f', 1, 64) + " %)"
}

// Tally scores outcomes.
func Tally(outs []Outcome) Score {
	var s Score
	for _, o := range outs {
		switch {
		case o.Case.Setup:
			if !o.Matched() {
				s.Setup = append(s.Setup, o)
			}
			continue
		case o.Matched() && o.Case.Differs != "":
			s.StaleDiffers = append(s.StaleDiffers, o)
		case !o.Matched() && o.Case.Differs == "":
			s.Unexpected = append(s.Unexpected, o)
		}
		s.Counted++
		if o.Matched() {
			s.Matched++
		}
	}
	return s
}
