package console

import (
	"net/http"
	"net/url"
	"strconv"
)

// PageSize is how many items a list page shows.
const PageSize = 50

// listParams are a list action's paging parameters for the page r shows:
// MaxItems, and the Marker its ?marker= carries.
func listParams(r *http.Request) url.Values {
	return pageParams(r.URL, "marker", url.Values{})
}

// pageParams adds to p (a detail page's list action's parameters: the
// entity's name) MaxItems, and the Marker that the page at u carries in
// its query parameter param (each list of a page has its own).
func pageParams(u *url.URL, param string, p url.Values) url.Values {
	p.Set("MaxItems", strconv.Itoa(PageSize))
	if m := u.Query().Get(param); m != "" {
		p.Set("Marker", m)
	}
	return p
}

// nextMarker is a list's Marker for the page after this one, "" on the
// last page.
func nextMarker(truncated *bool, marker string) string {
	if truncated != nil && *truncated {
		return marker
	}
	return ""
}

// pager is the partial "pager" reads: links to the first and the next
// page of a list, when there are such pages.
type pager struct {
	First, Next string
}

// newPager links the pages around the one r shows; next is the list
// action's Marker for the page after it ("" for the last page).
func newPager(r *http.Request, next string) pager {
	return pagerAt(r.URL, "marker", next)
}

// pagerAt is newPager for the page at u, which may have several lists,
// each paged by a query parameter of its own (param in place of
// "marker").
func pagerAt(u *url.URL, param, next string) pager {
	var p pager
	q := u.Query()
	if q.Get(param) != "" {
		q.Del(param)
		p.First = pageURL(u.Path, q)
	}
	if next != "" {
		q.Set(param, next)
		p.Next = pageURL(u.Path, q)
	}
	return p
}

// pageAt is the address of the page a detail page's lists page from: the
// request's own on a GET; base?tab= after a POST shows the page again.
func pageAt(r *http.Request, base, tab string) *url.URL {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL
	}
	u := &url.URL{Path: base}
	if tab != "" {
		u.RawQuery = url.Values{"tab": {tab}}.Encode()
	}
	return u
}

// pageURL is the address of path with query q.
func pageURL(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
