package iot

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/credential"
)

func TestSessionTags(t *testing.T) {
	keys := map[string][]string{
		KeyCertificateID:              {"ab12"},
		KeyThingName:                  {"lamp"},
		KeyThingTypeName:              {"bulb"},
		KeyThingAttributes + "room":   {"kitchen"},
		KeyThingAttributes + "list":   {"a,b"},                    // a comma: not a tag value
		KeyThingAttributes + "a#b":    {"x"},                      // '#': not a tag key
		KeyThingAttributes + "long":   {strings.Repeat("v", 257)}, // over 256
		KeyThingAttributes + "floor":  {"2"},
		KeyThingAttributes + "serial": {""},
	}
	want := []credential.Tag{
		{Key: KeyCertificateID, Value: "ab12"}, {Key: KeyThingName, Value: "lamp"}, {Key: KeyThingTypeName, Value: "bulb"},
		{Key: KeyThingAttributes + "floor", Value: "2"}, {Key: KeyThingAttributes + "room", Value: "kitchen"},
		{Key: KeyThingAttributes + "serial", Value: ""},
	}
	if d := cmp.Diff(want, sessionTags(keys)); d != "" {
		t.Errorf("sessionTags (-want +got):\n%s", d)
	}
	many := map[string][]string{KeyCertificateID: {"x"}}
	for i := range 60 {
		many[KeyThingAttributes+"a"+strings.Repeat("x", i)] = []string{"v"}
	}
	if got := len(sessionTags(many)); got != maxTags {
		t.Errorf("%d tags, want at most %d", got, maxTags)
	}
}

// TestSessionContext: the keys a session carries into its requests are
// those within credential's bounds, the certificate id, thing name and
// type first, then the attributes by name while they fit the budget.
func TestSessionContext(t *testing.T) {
	longName := KeyThingAttributes + strings.Repeat("n", credential.MaxContextKeyLen-len(KeyThingAttributes)+1)
	keys := map[string][]string{
		KeyCertificateID:             {"ab12"},
		KeyThingName:                 {"lamp"},
		KeyThingTypeName:             {"bulb"},
		KeyThingAttributes + "room":  {"kitchen"},
		KeyThingAttributes + "list":  {"a,b"}, // not a tag value, a context value all the same
		KeyThingAttributes + "long":  {strings.Repeat("v", credential.MaxContextValueLen+1)},
		longName:                     {"x"},
		KeyThingAttributes + "floor": {""},
	}
	want := map[string]string{
		KeyCertificateID: "ab12", KeyThingName: "lamp", KeyThingTypeName: "bulb",
		KeyThingAttributes + "room": "kitchen", KeyThingAttributes + "list": "a,b", KeyThingAttributes + "floor": "",
	}
	if d := cmp.Diff(want, sessionContext(keys)); d != "" {
		t.Errorf("sessionContext (-want +got):\n%s", d)
	}

	// Fifty attributes of 256-byte values: the budget keeps the first
	// in name order, after the certificate id, which always fits.
	many := map[string][]string{KeyCertificateID: {strings.Repeat("c", 64)}}
	for i := range 50 {
		many[KeyThingAttributes+"a"+strings.Repeat("x", i)] = []string{strings.Repeat("v", credential.MaxContextValueLen)}
	}
	got := sessionContext(many)
	size := 0
	for k, v := range got {
		size += len(k) + len(v)
	}
	if _, ok := got[KeyCertificateID]; !ok || size > maxSessionContext || len(got) < 2 {
		t.Errorf("%d keys of %d bytes (certificate id kept: %v), want the certificate id and attributes within %d bytes", len(got), size, ok, maxSessionContext)
	}
	if _, ok := got[KeyThingAttributes+"a"]; !ok {
		t.Errorf("the first attribute by name is missing: %v", slices.Sorted(maps.Keys(got)))
	}
}
