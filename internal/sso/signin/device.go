package signin

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// devicePage is the verification URI: without a code, a form to type it;
// with one, the code and the client asking, to allow or deny. It needs a
// signed-in browser and sends others to sign in first.
func (h *Handler) devicePage(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	code := strings.TrimSpace(r.URL.Query().Get("user_code"))
	s := h.session(r, now)
	if s == nil || s.Identity == nil {
		see(w, r, "/sso/signin?next="+url.QueryEscape(r.URL.RequestURI()))
		return
	}
	if code == "" {
		h.render(w, r, http.StatusOK, pageDeviceForm, &page{Title: "Enter your code"})
		return
	}
	if !h.lim.userCode(r, now) {
		h.render(w, r, http.StatusTooManyRequests, pageDeviceForm, &page{Title: "Enter your code", Error: msgThrottled})
		return
	}
	var d Device
	err := ErrNoDevice
	if len(code) <= 16 {
		d, err = h.cfg.Flows.Device(r.Context(), code, now)
	}
	switch {
	case errors.Is(err, ErrNoDevice):
		h.render(w, r, http.StatusNotFound, pageDeviceForm, &page{Title: "Enter your code", Error: msgNoDevice})
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, pageDeviceConfirm, &page{Title: "Approve sign-in", CSRF: s.CSRF, UserCode: d.UserCode, ClientName: clientName(d.ClientName)})
}

// msgNoDevice answers a user code that is unknown, expired or decided.
const msgNoDevice = "This code is not valid: it is mistyped, expired or used. Start again in your terminal."

// clientName is what the pages call a client.
func clientName(n string) string {
	if n == "" {
		return "An application"
	}
	return n
}

// deviceDecide allows or denies a device authorization.
func (h *Handler) deviceDecide(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	s := h.session(r, now)
	if !h.checkPost(r, s) || s.Identity == nil {
		h.badRequest(w, r)
		return
	}
	code, action := strings.TrimSpace(r.PostFormValue("user_code")), r.PostFormValue("action")
	ev := event{start: now, principal: principalOf(s.Identity, s.ARN), action: actionApproveDevice}
	switch action {
	case "allow":
	case "deny":
		ev.action = actionDenyDevice
	default:
		h.badRequest(w, r)
		return
	}
	if !h.lim.userCode(r, now) {
		h.refuse(w, r, ev, codeThrottled, http.StatusTooManyRequests, func() {
			h.render(w, r, http.StatusTooManyRequests, pageDeviceForm, &page{Title: "Enter your code", Error: msgThrottled})
		})
		return
	}
	var err error
	if action == "allow" {
		err = h.cfg.Flows.ApproveDevice(r.Context(), code, *s.Identity, now)
	} else {
		err = h.cfg.Flows.DenyDevice(r.Context(), code, now)
	}
	switch {
	case errors.Is(err, ErrNoDevice):
		h.refuse(w, r, ev, codeNoDevice, http.StatusNotFound, func() {
			h.render(w, r, http.StatusNotFound, pageDeviceForm, &page{Title: "Enter your code", Error: msgNoDevice})
		})
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	if err := h.audit(r, withResponse(ev, "Success")); err != nil {
		h.fail(w, r, err)
		return
	}
	msg := "You allowed the sign-in. Go back to your terminal; you can close this window."
	if action == "deny" {
		msg = "You denied the sign-in. Nothing was given to the application."
	}
	h.render(w, r, http.StatusOK, pageMessage, &page{Title: "Done", Message: msg})
}
