package console

import (
	"net/http/httptest"
	"testing"
)

func TestUsersAndGroupsPagesParse(t *testing.T) {
	for _, name := range []string{"users", "users_new", "users_created", "users_detail", "users_mfa", "inline_policy",
		"groups", "groups_new", "groups_detail"} {
		if pages[name] == nil {
			t.Errorf("page %q is not parsed", name)
		}
	}
}

func TestQRDataURL(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{[]byte("\x89PNG\r\n\x1a\nabc"), "data:image/png;base64,iVBORw0KGgphYmM="},
		{[]byte(`"><script>`), ""},
		{nil, ""},
	} {
		if got := string(qrDataURL(c.in)); got != c.want {
			t.Errorf("qrDataURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPagerAt(t *testing.T) {
	for _, c := range []struct {
		url, param, next string
		want             pager
	}{
		{"/console/users/a?tab=permissions", "imarker", "m2", pager{Next: "/console/users/a?imarker=m2&tab=permissions"}},
		{"/console/users/a?tab=permissions&imarker=m1&marker=x", "imarker", "", pager{First: "/console/users/a?marker=x&tab=permissions"}},
		{"/console/groups/g?marker=m1", "marker", "m2", pager{First: "/console/groups/g", Next: "/console/groups/g?marker=m2"}},
	} {
		r := httptest.NewRequest("GET", c.url, nil)
		if got := pagerAt(pageAt(r, "/console/users/ignored", "tags"), c.param, c.next); got != c.want {
			t.Errorf("pagerAt(%s, %s, %s) = %+v, want %+v", c.url, c.param, c.next, got, c.want)
		}
	}
	// After a POST, the lists page from the page the POST shows again.
	r := httptest.NewRequest("POST", "/console/users/a/attach-policy", nil)
	want := pager{Next: "/console/users/a?marker=m2&tab=permissions"}
	if got := pagerAt(pageAt(r, "/console/users/a", "permissions"), "marker", "m2"); got != want {
		t.Errorf("after a POST: %+v, want %+v", got, want)
	}
}
