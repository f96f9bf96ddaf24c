package console

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
)

// mfaPage shows a new virtual MFA device's QR code and seed once, with
// the form that enables it.
type mfaPage struct {
	UserName     string
	SerialNumber string
	// QR is the QR code as a data: URL built here from the PNG's bytes
	// (never from text a user typed).
	QR   template.URL
	Seed string
}

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// qrDataURL is the data: URL of a PNG image, or "" when png is not one.
func qrDataURL(png []byte) template.URL {
	if !bytes.HasPrefix(png, pngMagic) {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}

// createMFA creates a virtual MFA device for user name and shows its QR
// code and seed, the only time they are shown, with the form to enable it
// with two consecutive codes.
func (h *Handler) createMFA(w http.ResponseWriter, r *http.Request, s *session, name string) error {
	dev := strings.TrimSpace(r.PostFormValue("VirtualMFADeviceName"))
	out, err := call(h, r, s, iamapi.CreateVirtualMFADevice, url.Values{"VirtualMFADeviceName": {dev}})
	if err != nil {
		return h.opFailed(w, r, s, err, func(pe *pageError) error { return h.renderUser(w, r, s, name, "credentials", pe.Status, pe) })
	}
	v := out.VirtualMFADevice
	d := &mfaPage{UserName: name, SerialNumber: v.SerialNumber, QR: qrDataURL(v.QRCodePNG), Seed: string(v.Base32StringSeed)}
	return h.render(w, r, s, http.StatusOK, "users_mfa", "Set up a virtual MFA device", "users", d)
}
