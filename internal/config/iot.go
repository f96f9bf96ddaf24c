package config

import (
	"fmt"
	"net"
	"strings"
)

// IoT configures the IoT credentials provider (docs/x509.md).
type IoT struct {
	// Credentials is the device-facing endpoint; its Listen is "" when
	// it is off.
	Credentials IoTCredentials
}

// IoTCredentials configures the credentials provider's listener: mutual
// TLS, always, with a certificate of its own or the API's.
type IoTCredentials struct {
	// Listen is the listener's host:port, "" for none.
	Listen string
	// CertFile and KeyFile are the server certificate devices see; both
	// empty: the API's (tls.cert and tls.key).
	CertFile, KeyFile string
	// Endpoint is the address DescribeEndpoint answers for
	// iot:CredentialProvider (host or host:port devices reach); "" means
	// the bound address.
	Endpoint string
}

// Enabled reports whether the credentials provider is served.
func (c IoTCredentials) Enabled() bool { return c.Listen != "" }

type fileIoT struct {
	Credentials *fileIoTCredentials `yaml:"credentials"`
}

type fileIoTCredentials struct {
	Listen   *string `yaml:"listen"`
	CertFile *string `yaml:"tls_cert_file"`
	KeyFile  *string `yaml:"tls_key_file"`
	Endpoint *string `yaml:"endpoint"`
}

// fileIoT takes the file's iot settings.
func fileIoTSettings(f *fileIoT, set func(settingID, *string)) {
	if f == nil || f.Credentials == nil {
		return
	}
	set(sIoTCredentialsListen, f.Credentials.Listen)
	set(sIoTCredentialsCert, f.Credentials.CertFile)
	set(sIoTCredentialsKey, f.Credentials.KeyFile)
	set(sIoTCredentialsEndpoint, f.Credentials.Endpoint)
}

// convertIoT checks the credentials provider's settings: a host:port of
// its own, and a certificate (its own pair, or the API's), since devices
// authenticate with theirs in the TLS handshake.
func convertIoT(v *[numSettings]value, c *Config, errs []error) (IoT, []error) {
	fail := func(s settingID, msg string) { errs = append(errs, newError(s, v[s].from, msg)) }
	ic := IoTCredentials{
		Listen:   strings.TrimSpace(v[sIoTCredentialsListen].str),
		CertFile: strings.TrimSpace(v[sIoTCredentialsCert].str), KeyFile: strings.TrimSpace(v[sIoTCredentialsKey].str),
		Endpoint: strings.TrimSpace(v[sIoTCredentialsEndpoint].str),
	}
	switch {
	case ic.CertFile != "" && ic.KeyFile == "":
		fail(sIoTCredentialsCert, "is set but iot.credentials.tls_key_file is not; give both, or neither to use the API's certificate")
	case ic.CertFile == "" && ic.KeyFile != "":
		fail(sIoTCredentialsKey, "is set but iot.credentials.tls_cert_file is not; give both, or neither to use the API's certificate")
	}
	if ic.Endpoint != "" && strings.ContainsAny(ic.Endpoint, "/ ") {
		fail(sIoTCredentialsEndpoint, fmt.Sprintf("%q is not a host or host:port", ic.Endpoint))
	}
	if ic.Listen == "" {
		if ic.CertFile != "" || ic.Endpoint != "" {
			fail(sIoTCredentialsListen, "is not set but other iot.credentials settings are; give the listener's host:port")
		}
		return IoT{}, errs
	}
	if _, msg := checkListen(ic.Listen); msg != "" {
		fail(sIoTCredentialsListen, msg)
	} else if ic.Listen == c.Listen && !strings.HasSuffix(ic.Listen, ":0") {
		fail(sIoTCredentialsListen, fmt.Sprintf("%q is the API's address (listen); give the credentials provider a port of its own", ic.Listen))
	}
	if ic.CertFile == "" && !c.TLS.Enabled() {
		fail(sIoTCredentialsListen, "is set but no TLS certificate is: devices authenticate with their certificates in a TLS handshake; "+
			"give iot.credentials.tls_cert_file and tls_key_file (--iot-credentials-tls-cert, --iot-credentials-tls-key), or the API's tls.cert and tls.key")
	}
	return IoT{Credentials: ic}, errs
}

// IoTEndpoint is the address DescribeEndpoint answers: Endpoint, or the
// bound address.
func (c IoTCredentials) IoTEndpoint(bound net.Addr) string {
	if c.Endpoint != "" {
		return c.Endpoint
	}
	if bound == nil {
		return ""
	}
	return bound.String()
}
