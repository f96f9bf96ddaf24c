package iot

import (
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
