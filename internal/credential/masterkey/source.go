package masterkey

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// EnvVar is the environment variable that may hold the master key: 32 bytes,
// standard base64 (padded or not; URL-safe accepted).
const EnvVar = "BREVET_MASTER_KEY"

// FromEnv builds a one-key keyring from the value of BREVET_MASTER_KEY. The
// key's id is a fingerprint of it ("env-" and 12 hex digits). The caller
// reads the environment (so tests need not set it).
func FromEnv(value string) (*Keyring, error) {
	material, err := decodeKey(value)
	if err != nil {
		return nil, fmt.Errorf("masterkey: %s: %w", EnvVar, err)
	}
	defer clear(material)
	k, err := NewKey(derivedID(material), material)
	if err != nil {
		return nil, err
	}
	return New(k)
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errEmpty
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeyLen {
				clear(b)
				return nil, fmt.Errorf("key is %d bytes, want %d", len(b), KeyLen)
			}
			return b, nil
		}
	}
	return nil, errors.New("key is not base64") // never echo the value
}

// The key file, a small KMS-style JSON document:
//
//	{
//	  "version": 1,
//	  "keys": [
//	    {"id": "mk-2026b", "key": "<base64 of 32 bytes>", "created": "2026-11-22T07:00:00Z", "active": true},
//	    {"id": "mk-2025a", "key": "<base64 of 32 bytes>", "created": "2025-01-01T00:00:00Z"}
//	  ]
//	}
//
// Exactly one key is active (it seals); the others only open. Unknown fields
// are an error, so a typo cannot silently drop a key.
type keyFile struct {
	Version int           `json:"version"`
	Keys    []keyFileItem `json:"keys"`
}

type keyFileItem struct {
	ID      string    `json:"id"`
	Key     string    `json:"key"`
	Created time.Time `json:"created,omitzero"`
	Active  bool      `json:"active,omitempty"`
}

// ParseKeyFile reads a key file: the JSON document above, or a bare key
// (exactly 32 raw bytes, or their base64 text), which is what secret stores
// such as Kubernetes and systemd credentials hand over. A bare key gets the
// same fingerprint id as BREVET_MASTER_KEY would give it.
func ParseKeyFile(data []byte) (*Keyring, error) {
	if len(data) == KeyLen && !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		material := bytes.Clone(data)
		defer clear(material)
		k, err := NewKey(derivedID(material), material)
		if err != nil {
			return nil, err
		}
		return New(k)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		kr, err := FromEnv(string(data))
		if err != nil {
			return nil, fmt.Errorf("masterkey: key file: neither a JSON key file nor a bare 32-byte key: %w", errors.Unwrap(err))
		}
		return kr, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f keyFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("masterkey: key file: %w", redactJSONError(err))
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("masterkey: key file version %d not supported", f.Version)
	}
	var active *Key
	var others []Key
	for i, item := range f.Keys {
		material, err := decodeKey(item.Key)
		if err != nil {
			return nil, fmt.Errorf("masterkey: key file: key %q: %w", item.ID, err)
		}
		k, err := NewKey(item.ID, material)
		clear(material)
		if err != nil {
			return nil, fmt.Errorf("masterkey: key file: key %d: %w", i, err)
		}
		k.Created = item.Created
		if item.Active {
			if active != nil {
				return nil, errors.New("masterkey: key file: more than one active key")
			}
			active = &k
			continue
		}
		others = append(others, k)
	}
	if active == nil {
		return nil, errors.New("masterkey: key file: no active key")
	}
	return New(*active, others...)
}

// redactJSONError keeps a syntax error's offset but never the text around
// it, which could be key material.
func redactJSONError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("syntax error at offset %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("field %q has the wrong type", typ.Field)
	}
	return err
}

// MarshalKeyFile returns kr as a key file, key material included. Write it
// only where the key file belongs (WriteKeyFile).
func (kr *Keyring) MarshalKeyFile() ([]byte, error) {
	f := keyFile{Version: 1}
	for _, id := range kr.IDs() {
		k := kr.keys[id].key
		f.Keys = append(f.Keys, keyFileItem{
			ID:      k.ID,
			Key:     base64.StdEncoding.EncodeToString(k.material[:]),
			Created: k.Created,
			Active:  id == kr.ActiveID(),
		})
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// LoadOrCreateKeyFile reads the key file at path or, when there is none,
// generates a one-key keyring and writes it there with mode 0600 (created
// true). Two processes starting at once agree on one file: the file is
// written under a temporary name and linked into place, and the loser of
// the race reads the winner's.
func LoadOrCreateKeyFile(path string) (kr *Keyring, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		kr, err := ParseKeyFile(data)
		if err != nil {
			return nil, false, fmt.Errorf("%w (%s)", err, path)
		}
		return kr, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("masterkey: %w", err)
	}
	kr, err = Generate(rand.Reader, time.Now())
	if err != nil {
		return nil, false, err
	}
	if err := writeKeyFile(path, kr, false); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateKeyFile(path)
		}
		return nil, false, err
	}
	return kr, true, nil
}

// WriteKeyFile writes kr to path with mode 0600, replacing what is there
// atomically (for rotation).
func WriteKeyFile(path string, kr *Keyring) error {
	return writeKeyFile(path, kr, true)
}

func writeKeyFile(path string, kr *Keyring, replace bool) (err error) {
	data, err := kr.MarshalKeyFile()
	if err != nil {
		return err
	}
	defer clear(data)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master.key-*")
	if err != nil {
		return fmt.Errorf("masterkey: %w", err)
	}
	defer func() {
		_ = os.Remove(tmp.Name()) // after link or rename it is only a name
	}()
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("masterkey: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("masterkey: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("masterkey: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("masterkey: %w", err)
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else {
		err = os.Link(tmp.Name(), path) // fails with ErrExist if someone else won
	}
	if err != nil {
		return fmt.Errorf("masterkey: %w", err)
	}
	return nil
}

// Source says where a master key came from, for the start-up log line.
type Source uint8

// The master key sources, in order of precedence.
const (
	SourceEnv       Source = iota + 1 // BREVET_MASTER_KEY
	SourceKeyFile                     // a key file named in the configuration
	SourceDataDir                     // DATA_DIR/master.key, loaded
	SourceGenerated                   // DATA_DIR/master.key, generated now
)

func (s Source) String() string {
	switch s {
	case SourceEnv:
		return EnvVar
	case SourceKeyFile:
		return "key file"
	case SourceDataDir:
		return "data directory key file"
	case SourceGenerated:
		return "generated data directory key file"
	}
	return fmt.Sprintf("Source(%d)", uint8(s))
}

// DataDirKeyFile is the name of the generated key file in the data
// directory.
const DataDirKeyFile = "master.key"

// Load resolves the master key: the environment value when set, else the
// key file when named (it must exist), else DataDirKeyFile in dataDir,
// generated on first start. Setting both the environment value and a key
// file is an error, so an operator never wonders which one is in force.
func Load(envValue, keyFile, dataDir string) (*Keyring, Source, error) {
	switch {
	case envValue != "" && keyFile != "":
		return nil, 0, fmt.Errorf("masterkey: both %s and a key file are set; choose one", EnvVar)
	case envValue != "":
		kr, err := FromEnv(envValue)
		return kr, SourceEnv, err
	case keyFile != "":
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, 0, fmt.Errorf("masterkey: %w", err)
		}
		kr, err := ParseKeyFile(data)
		if err != nil {
			return nil, 0, fmt.Errorf("%w (%s)", err, keyFile)
		}
		return kr, SourceKeyFile, nil
	case dataDir != "":
		kr, created, err := LoadOrCreateKeyFile(filepath.Join(dataDir, DataDirKeyFile))
		if created {
			return kr, SourceGenerated, err
		}
		return kr, SourceDataDir, err
	}
	return nil, 0, fmt.Errorf("masterkey: no master key: set %s, a key file, or a data directory", EnvVar)
}
