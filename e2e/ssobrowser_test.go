package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/html"
)

// formBrowser is an HTTP client that behaves as a browser without
// JavaScript does on server-rendered pages: it keeps cookies (over TLS,
// so Secure cookies flow), follows redirects and <meta http-equiv=refresh>,
// sends Origin with a form's POST, and submits forms as they are, hidden
// fields included, with the values it is told to type and the button it is
// told to press.
type formBrowser struct {
	c    *http.Client
	page *page // the page shown now
}

// page is one HTML page the browser shows.
type page struct {
	url    *url.URL
	status int
	body   string
	forms  []form
	links  []string // every <a href>, resolved
}

// form is one <form> of a page.
type form struct {
	action  *url.URL
	method  string
	fields  []field // inputs, selects and textareas, in order
	buttons []field // submit buttons (and inputs of type submit)
}

// field is one named control with its value and type.
type field struct{ name, value, typ string }

// browsers counts the form browsers made, to give each its own source
// address.
var browsers atomic.Uint32

// newFormBrowser trusts roots (the system's when nil) and remembers
// cookies; it follows up to 10 redirects as a browser would. Each browser
// connects from an address of its own in 127.0.0.2-254, as people sign in
// from their own machines: the sign-in pages' per-source rate limits then
// apply to each as to one person.
func newFormBrowser(roots *x509.CertPool) *formBrowser {
	jar, _ := cookiejar.New(nil)
	src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+browsers.Add(1)%253))}
	dialer := &net.Dialer{LocalAddr: src, Timeout: 10 * time.Second}
	return &formBrowser{c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, DialContext: dialer.DialContext}}}
}

// open GETs u and shows the page it ends on.
func (b *formBrowser) open(u string) (*page, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return b.load(req)
}

// load sends req, follows meta refreshes (up to 5) and parses the page.
func (b *formBrowser) load(req *http.Request) (*page, error) {
	req.Header.Set("User-Agent", "brevet-e2e-form-browser")
	req.Header.Set("Accept", "text/html")
	for hops := 0; ; hops++ {
		resp, err := b.c.Do(req)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		p, refresh, err := parsePage(resp.Request.URL, resp.StatusCode, string(data))
		if err != nil {
			return nil, err
		}
		b.page = p
		if refresh == nil {
			return p, nil
		}
		if hops == 5 {
			return nil, errors.New("more than 5 meta refreshes in a row")
		}
		req, _ = http.NewRequest(http.MethodGet, refresh.String(), nil)
		req.Header.Set("User-Agent", "brevet-e2e-form-browser")
		req.Header.Set("Accept", "text/html")
	}
}

// submit fills the page's form that has every field named in values
// (a field not on the form is an error), presses the submit button named
// button ("name=value", or "" for the form's first or none), and shows the
// page the answer leads to.
func (b *formBrowser) submit(values map[string]string, button string) (*page, error) {
	if b.page == nil {
		return nil, errors.New("no page open")
	}
	f := b.page.formWith(values, button)
	if f == nil {
		return nil, fmt.Errorf("no form on %s has the fields %v and the button %q:\n%s", b.page.url, slices.Sorted(maps.Keys(values)), button, b.page.text())
	}
	data := url.Values{}
	for _, fl := range f.fields {
		v := fl.value
		if typed, ok := values[fl.name]; ok {
			v = typed
		}
		data.Add(fl.name, v)
	}
	switch {
	case button != "":
		name, value, _ := strings.Cut(button, "=")
		data.Add(name, value)
	case len(f.buttons) > 0 && f.buttons[0].name != "":
		data.Add(f.buttons[0].name, f.buttons[0].value)
	}
	origin := b.page.url.Scheme + "://" + b.page.url.Host
	var req *http.Request
	if f.method == http.MethodGet {
		u := *f.action
		u.RawQuery = data.Encode()
		req, _ = http.NewRequest(http.MethodGet, u.String(), nil)
	} else {
		req, _ = http.NewRequest(http.MethodPost, f.action.String(), strings.NewReader(data.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
	}
	return b.load(req)
}

// follow opens the page's first link whose URL contains part.
func (b *formBrowser) follow(part string) (*page, error) {
	for _, l := range b.page.links {
		if strings.Contains(l, part) {
			return b.open(l)
		}
	}
	return nil, fmt.Errorf("no link on %s contains %q:\n%s", b.page.url, part, b.page.text())
}

// formWith is the first form holding every field in values and, when
// button is given, that button.
func (p *page) formWith(values map[string]string, button string) *form {
next:
	for i := range p.forms {
		f := &p.forms[i]
		for name := range values {
			if !f.has(name) {
				continue next
			}
		}
		if button == "" {
			return f
		}
		for _, bt := range f.buttons {
			if bt.name+"="+bt.value == button {
				return f
			}
		}
	}
	return nil
}

func (f *form) has(name string) bool {
	for _, fl := range f.fields {
		if fl.name == name {
			return true
		}
	}
	return false
}

// hasField reports whether some form of the page has the field.
func (p *page) hasField(name string) bool {
	for i := range p.forms {
		if p.forms[i].has(name) {
			return true
		}
	}
	return false
}

// text is the page's body for messages, trimmed.
func (p *page) text() string {
	s := p.body
	if len(s) > 2000 {
		s = s[:2000] + "..."
	}
	return fmt.Sprintf("[%d %s]\n%s", p.status, p.url, s)
}

// parsePage reads the forms, links and any meta refresh of an HTML page.
func parsePage(base *url.URL, status int, body string) (*page, *url.URL, error) {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	p := &page{url: base, status: status, body: body}
	var refresh *url.URL
	resolve := func(ref string) *url.URL {
		u, err := base.Parse(ref)
		if err != nil {
			return base
		}
		return u
	}
	var cur *form
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			a := attrs(n)
			switch n.Data {
			case "meta":
				if strings.EqualFold(a["http-equiv"], "refresh") {
					if _, target, ok := strings.Cut(a["content"], "="); ok && strings.Contains(strings.ToLower(a["content"]), "url") {
						refresh = resolve(strings.Trim(strings.TrimSpace(target), `'"`))
					}
				}
			case "a":
				if href, ok := a["href"]; ok {
					p.links = append(p.links, resolve(href).String())
				}
			case "form":
				method := strings.ToUpper(a["method"])
				if method == "" {
					method = http.MethodGet
				}
				p.forms = append(p.forms, form{action: resolve(a["action"]), method: method})
				cur = &p.forms[len(p.forms)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				cur = nil
				return
			case "input":
				if cur != nil && a["name"] != "" {
					typ := strings.ToLower(a["type"])
					switch typ {
					case "submit":
						cur.buttons = append(cur.buttons, field{a["name"], a["value"], typ})
					case "checkbox", "radio":
						if _, on := a["checked"]; on {
							cur.fields = append(cur.fields, field{a["name"], valueOr(a, "on"), typ})
						}
					default:
						cur.fields = append(cur.fields, field{a["name"], a["value"], typ})
					}
				}
			case "button":
				if cur != nil && a["type"] != "button" && a["type"] != "reset" {
					cur.buttons = append(cur.buttons, field{a["name"], a["value"], "submit"})
				}
			case "textarea":
				if cur != nil && a["name"] != "" {
					var sb strings.Builder
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						sb.WriteString(c.Data)
					}
					cur.fields = append(cur.fields, field{a["name"], sb.String(), "textarea"})
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return p, refresh, nil
}

func attrs(n *html.Node) map[string]string {
	m := map[string]string{}
	for _, a := range n.Attr {
		m[strings.ToLower(a.Key)] = a.Val
	}
	return m
}

func valueOr(a map[string]string, def string) string {
	if v, ok := a["value"]; ok {
		return v
	}
	return def
}
