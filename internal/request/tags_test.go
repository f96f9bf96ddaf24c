package request

import (
	"maps"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRequestTagContext(t *testing.T) {
	if got := RequestTagContext(maps.All(map[string]string{})); got != nil {
		t.Errorf("no tags: %v, want nil", got)
	}
	got := RequestTagContext(maps.All(map[string]string{"team": "blue"}))
	want := map[string][]string{"aws:RequestTag/team": {"blue"}, "aws:TagKeys": {"team"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestWithResourceTags(t *testing.T) {
	extra := map[string][]string{"aws:TagKeys": {"a"}}
	if got := WithResourceTags(extra, maps.All(map[string]string{})); !cmp.Equal(got, extra) {
		t.Errorf("no tags: %v, want extra", got)
	}
	if got := WithResourceTags(nil, maps.All(map[string]string{})); got != nil {
		t.Errorf("no tags, no extra: %v, want nil", got)
	}
	got := WithResourceTags(extra, maps.All(map[string]string{"team": "blue"}))
	want := map[string][]string{"aws:TagKeys": {"a"}, "aws:ResourceTag/team": {"blue"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if len(extra) != 1 {
		t.Errorf("extra was changed: %v", extra)
	}
}
