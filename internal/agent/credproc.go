package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ProcessConfig configures `brevet credential-process`.
type ProcessConfig struct {
	// AgentURL is the agent's IMDS base URL (http://127.0.0.1:PORT), or,
	// with TokenFile, its container endpoint's full URI.
	AgentURL string
	// TokenFile holds a container endpoint authorization token.
	TokenFile string
	// CacheDir holds the cache; empty uses the user's cache directory.
	CacheDir string
	HTTP     *http.Client
}

// ProcessOutput is the credential_process JSON (Version 1).
type ProcessOutput struct {
	Version         int
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// CredentialProcess returns the credentials for credential_process: the
// cached ones while they are valid for more than RefreshMargin, else
// fresh ones from the agent, cached (0600, in a directory of this
// user's alone) for the next run.
func CredentialProcess(ctx context.Context, cfg ProcessConfig, now time.Time) (ProcessOutput, error) {
	path, err := cachePath(cfg)
	if err != nil {
		return ProcessOutput{}, err
	}
	// The cache is used only in a directory of this user's alone: one
	// that others may write could hand this user their credentials.
	cached := privateDir(filepath.Dir(path)) == nil
	if b, err := os.ReadFile(path); cached && err == nil {
		var out ProcessOutput
		if json.Unmarshal(b, &out) == nil && out.Version == 1 && out.AccessKeyId != "" && out.Expiration.Sub(now) > RefreshMargin {
			return out, nil
		}
	}
	c, err := fetchFromAgent(ctx, cfg)
	if err != nil {
		return ProcessOutput{}, err
	}
	out := ProcessOutput{Version: 1, AccessKeyId: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration.UTC()}
	if b, err := json.Marshal(out); err == nil && cached {
		writeFile(path, b) // a cache: a failure only costs the next run a call
	}
	return out, nil
}

func cachePath(cfg ProcessConfig) (string, error) {
	dir := cfg.CacheDir
	if dir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("agent: no cache directory: %w", err)
		}
		dir = filepath.Join(d, "brevet", "credential-process")
	}
	sum := sha256.Sum256([]byte(cfg.AgentURL + "\n" + cfg.TokenFile))
	return filepath.Join(dir, hex.EncodeToString(sum[:16])+".json"), nil
}

func fetchFromAgent(ctx context.Context, cfg ProcessConfig) (Credentials, error) {
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	get := func(method, url string, h http.Header) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header = h
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("agent: calling the agent: %w", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("agent: %s %s: HTTP %d", method, req.URL.Path, resp.StatusCode)
		}
		return b, nil
	}
	var body []byte
	if cfg.TokenFile != "" {
		tok, err := os.ReadFile(cfg.TokenFile)
		if err != nil {
			return Credentials{}, fmt.Errorf("agent: reading the authorization token: %w", err)
		}
		if body, err = get(http.MethodGet, cfg.AgentURL, http.Header{"Authorization": {strings.TrimSpace(string(tok))}}); err != nil {
			return Credentials{}, err
		}
	} else {
		base := strings.TrimSuffix(cfg.AgentURL, "/")
		tok, err := get(http.MethodPut, base+"/latest/api/token", http.Header{HeaderTokenTTL: {"60"}})
		if err != nil {
			return Credentials{}, err
		}
		h := http.Header{HeaderToken: {string(tok)}}
		role, err := get(http.MethodGet, base+"/latest/meta-data/iam/security-credentials/", h)
		if err != nil {
			return Credentials{}, err
		}
		name, _, _ := strings.Cut(strings.TrimSpace(string(role)), "\n")
		if body, err = get(http.MethodGet, base+"/latest/meta-data/iam/security-credentials/"+name, h); err != nil {
			return Credentials{}, err
		}
	}
	var c struct {
		Code                                              string
		AccessKeyId, SecretAccessKey, Token, SessionToken string
		Expiration                                        time.Time
	}
	if err := json.Unmarshal(body, &c); err != nil || c.AccessKeyId == "" || (c.Code != "" && c.Code != "Success") {
		return Credentials{}, errors.New("agent: the agent's response holds no credentials")
	}
	if c.Token == "" {
		c.Token = c.SessionToken
	}
	return Credentials{AccessKeyID: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.Token, Expiration: c.Expiration}, nil
}
