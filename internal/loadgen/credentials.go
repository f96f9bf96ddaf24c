package loadgen

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// ParseSharedCredentials reads an access key from an AWS shared
// credentials file (~/.aws/credentials form, as `brevet serve` writes
// DATA_DIR/admin-credentials):
//
//	[default]
//	aws_access_key_id = AKIA...
//	aws_secret_access_key = ...
//	aws_session_token = ...   (optional)
//
// profile names the section; "" means "default", or the only section when
// the file has just one. Lines starting with '#' or ';' are comments. We
// parse it here rather than through the SDK's config loader, which would
// also read the environment and ~/.aws and could pick up someone else's
// keys without saying so.
func ParseSharedCredentials(r io.Reader, profile string) (sigv4.Credentials, error) {
	sections := map[string]map[string]string{}
	var order []string
	var cur map[string]string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			name, ok := strings.CutSuffix(line[1:], "]")
			name = strings.TrimSpace(name)
			if !ok || name == "" {
				return sigv4.Credentials{}, fmt.Errorf("loadgen: credentials line %d: %q is not a [section]", n, line)
			}
			name = strings.TrimSpace(strings.TrimPrefix(name, "profile ")) // config-file spelling
			if sections[name] == nil {
				sections[name] = map[string]string{}
				order = append(order, name)
			}
			cur = sections[name]
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || cur == nil {
				return sigv4.Credentials{}, fmt.Errorf("loadgen: credentials line %d: want key = value inside a [section]", n)
			}
			cur[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return sigv4.Credentials{}, fmt.Errorf("loadgen: read credentials: %w", err)
	}
	name := profile
	if name == "" {
		name = "default"
		if sections[name] == nil && len(order) == 1 {
			name = order[0]
		}
	}
	sec := sections[name]
	if sec == nil {
		slices.Sort(order)
		return sigv4.Credentials{}, fmt.Errorf("loadgen: credentials: no profile %q (have %s)", name, strings.Join(order, ", "))
	}
	c := sigv4.Credentials{
		AccessKeyID:     sec["aws_access_key_id"],
		SecretAccessKey: sec["aws_secret_access_key"],
		SessionToken:    sec["aws_session_token"],
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return sigv4.Credentials{}, fmt.Errorf("loadgen: credentials: profile %q needs aws_access_key_id and aws_secret_access_key", name)
	}
	return c, nil
}
