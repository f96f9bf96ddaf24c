package parity

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// A File is one scenario: cases run in order against one fresh account.
type File struct {
	Name  string
	Lets  map[string]string
	Cases []*Case
}

// A Case is one request and what AWS answers to it.
type Case struct {
	Title   string
	Line    int    // of its "===" line
	Setup   bool   // not counted; must still match
	Source  string // where the expectation comes from
	Differs string // a deliberate difference, documented in docs/iam.md or docs/sts.md

	Service string // "iam" or "sts"
	Action  string
	As      string // saved credentials to sign with; "" for the admin
	Params  []Param

	Status  int
	ErrType string // Sender or Receiver; "" for a success
	ErrCode string
	Expects []Expect
}

// A Param is one Query parameter, sent in file order.
type Param struct{ Name, Value string }

// ExpectKind says how an Expect compares.
type ExpectKind int

// The kinds of expectation.
const (
	Equal     ExpectKind = iota // Path: literal
	Match                       // Path: ~regexp
	Absent                      // Path: <absent>
	Present                     // Path: <present>
	Empty                       // Path: <empty>
	Children                    // Path: [A B C]
	Save                        // save Path as name
	SaveCreds                   // save-creds Path as name
)

// An Expect is one line under "=>".
type Expect struct {
	Kind  ExpectKind
	Path  string
	Value string   // Equal and Match: the text or pattern; Save*: the name
	Names []string // Children
	Line  int
}

var (
	letLine  = regexp.MustCompile(`^let ([a-zA-Z][\w-]*) = (.*)$`)
	callLine = regexp.MustCompile(`^(iam|sts) ([A-Z][A-Za-z0-9]+)(?: as ([\w-]+))?$`)
	wantLine = regexp.MustCompile(`^=> (\d{3})(?: (Sender|Receiver) ([A-Za-z0-9.]+))?$`)
	saveLine = regexp.MustCompile(`^(save|save-creds) (\S+) as ([a-zA-Z][\w-]*)$`)
)

// Parse reads one case file. Lines starting with '#' are comments.
//
//	let NAME = VALUE                  before the first case: a value for {NAME}
//	=== TITLE                         a case; "=== setup: TITLE" is not counted
//	source: WHERE                     the public source of the expectation (required)
//	differs: WHY                      a deliberate difference (documented in docs/)
//	iam|sts ACTION [as NAME]          the request, signed as the admin or as NAME
//	  Param.member.1: value           its parameters, one a line, indented
//	=> STATUS [Sender|Receiver CODE]  what AWS answers
//	  Path: text                      exact text; paths are relative to <ActionResult>,
//	  Path: ~regexp                   or to <Error> for an error ("message:" is Message);
//	  Path: <absent>                  X.member.N is the N-th member; M.entry[K] the map entry of key K
//	  Path: <present> | <empty>
//	  Path: [A B C]                   the element's children are exactly these names
//	  save Path as NAME               its text becomes {NAME} for later cases
//	  save-creds Path as NAME         AccessKeyId, SecretAccessKey, SessionToken under Path
//
// {NAME} in values and expectations is replaced by a let, a saved value or
// {account}; any other {...} is left as written.
func Parse(name string, r io.Reader) (*File, error) {
	f := &File{Name: name, Lets: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var c *Case
	state := 0 // 0: before a case; 1: header; 2: params; 3: expectations
	n := 0
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, a...))
	}
	for sc.Scan() {
		n++
		raw := strings.TrimRight(sc.Text(), " \t\r")
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		indented := raw != line
		switch {
		case strings.HasPrefix(line, "=== "):
			if err := finish(c, name); err != nil {
				return nil, err
			}
			title := strings.TrimSpace(strings.TrimPrefix(line, "=== "))
			c = &Case{Title: title, Line: n}
			if t, ok := strings.CutPrefix(title, "setup:"); ok {
				c.Setup, c.Title = true, strings.TrimSpace(t)
			}
			f.Cases = append(f.Cases, c)
			state = 1
		case !indented && letLine.MatchString(line):
			if c != nil {
				return nil, fail("let after the first case")
			}
			m := letLine.FindStringSubmatch(line)
			f.Lets[m[1]] = m[2]
		case c == nil:
			return nil, fail("expected a let or a === case, got %q", line)
		case !indented && strings.HasPrefix(line, "source:") && state == 1:
			c.Source = strings.TrimSpace(strings.TrimPrefix(line, "source:"))
		case !indented && strings.HasPrefix(line, "differs:") && state == 1:
			c.Differs = strings.TrimSpace(strings.TrimPrefix(line, "differs:"))
		case !indented && callLine.MatchString(line) && state == 1:
			m := callLine.FindStringSubmatch(line)
			c.Service, c.Action, c.As = m[1], m[2], m[3]
			state = 2
		case !indented && wantLine.MatchString(line) && state == 2:
			m := wantLine.FindStringSubmatch(line)
			c.Status, _ = strconv.Atoi(m[1])
			c.ErrType, c.ErrCode = m[2], m[3]
			state = 3
		case indented && state == 2:
			k, v, ok := strings.Cut(line, ":")
			if !ok || strings.TrimSpace(k) == "" {
				return nil, fail("a parameter is `Name: value`, got %q", line)
			}
			c.Params = append(c.Params, Param{Name: strings.TrimSpace(k), Value: strings.TrimPrefix(v, " ")})
		case indented && state == 3:
			e, err := parseExpect(line, c.ErrCode != "")
			if err != nil {
				return nil, fail("%v", err)
			}
			e.Line = n
			c.Expects = append(c.Expects, e)
		default:
			return nil, fail("unexpected line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := finish(c, name); err != nil {
		return nil, err
	}
	return f, nil
}

func finish(c *Case, file string) error {
	if c == nil {
		return nil
	}
	switch {
	case c.Action == "":
		return fmt.Errorf("%s:%d: case %q has no request line (iam|sts ACTION)", file, c.Line, c.Title)
	case c.Status == 0:
		return fmt.Errorf("%s:%d: case %q has no => line", file, c.Line, c.Title)
	case !c.Setup && c.Source == "":
		return fmt.Errorf("%s:%d: case %q has no source line", file, c.Line, c.Title)
	case c.Setup && c.Differs != "":
		return fmt.Errorf("%s:%d: a setup case cannot differ", file, c.Line)
	}
	return nil
}

func parseExpect(line string, isErr bool) (Expect, error) {
	if m := saveLine.FindStringSubmatch(line); m != nil {
		k := Save
		if m[1] == "save-creds" {
			k = SaveCreds
		}
		return Expect{Kind: k, Path: m[2], Value: m[3]}, nil
	}
	path, v, ok := strings.Cut(line, ":")
	if !ok {
		return Expect{}, fmt.Errorf("an expectation is `Path: value`, got %q", line)
	}
	path = strings.TrimSpace(path)
	if path == "message" && isErr {
		path = "Message"
	}
	if strings.ContainsAny(path, " \t") || path == "" {
		return Expect{}, fmt.Errorf("bad path %q", path)
	}
	v = strings.TrimPrefix(v, " ")
	switch {
	case v == "<absent>":
		return Expect{Kind: Absent, Path: path}, nil
	case v == "<present>":
		return Expect{Kind: Present, Path: path}, nil
	case v == "<empty>":
		return Expect{Kind: Empty, Path: path}, nil
	case strings.HasPrefix(v, "~"):
		if _, err := regexp.Compile(v[1:]); err != nil {
			return Expect{}, fmt.Errorf("%s: %v", path, err)
		}
		return Expect{Kind: Match, Path: path, Value: v[1:]}, nil
	case strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]"):
		return Expect{Kind: Children, Path: path, Names: strings.Fields(v[1 : len(v)-1])}, nil
	}
	return Expect{Kind: Equal, Path: path, Value: v}, nil
}
