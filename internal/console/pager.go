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
	v := url.Values{"MaxItems": {strconv.Itoa(PageSize)}}
	if m := r.URL.Query().Get("marker"); m != "" {
		v.Set("Marker", m)
	}
	return v
}

// pager is the partial "pager" reads: links to the first and the next
// page of a list, when there are such pages.
type pager struct {
	First, Next string
}

// newPager links the pages around the one r shows; next is the list
// action's Marker for the page after it ("" for the last page).
func newPager(r *http.Request, next string) pager {
	var p pager
	q := r.URL.Query()
	if q.Get("marker") != "" {
		q.Del("marker")
		p.First = pageURL(r.URL.Path, q)
	}
	if next != "" {
		q.Set("marker", next)
		p.Next = pageURL(r.URL.Path, q)
	}
	return p
}

func pageURL(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
