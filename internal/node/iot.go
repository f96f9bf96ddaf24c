package node

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/iot"
	"github.com/brevet-dev/brevet/internal/iot/provider"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
	"github.com/brevet-dev/brevet/internal/server"
	"github.com/brevet-dev/brevet/internal/store"
)

// iotNode is the node's IoT service: the management actions on the API
// (REST-JSON) and, when configured, the credentials provider's listener
// (docs/x509.md).
type iotNode struct {
	svc *iot.Service
	// handler serves the credentials provider; nil when it is off.
	handler http.Handler
	// tls is the listener's own certificate; nil uses the API's.
	tls *tls.Config
	ln  net.Listener
}

// wireIoT builds the IoT service on the node's pipeline p, registers its
// actions on the REST-JSON codec, and builds the credentials provider
// when the config enables it. Its pipeline is the node's with its own
// Authenticator: the device's client certificate (still refused at once
// while the store is down, like every issuance); no principal check and
// no cache sync after it (it issues, it does not write what a cache
// holds).
func (n *Node) wireIoT(p *request.Pipeline) error {
	svc, err := iot.New(iot.Config{Store: n.st.Objects(), Sessions: n.fed.sts, Region: n.cfg.Regions[0],
		CredentialsEndpoint: n.iotEndpoint, Logger: n.log})
	if err != nil {
		return err
	}
	iot.Register(n.rest.Service(iot.ServiceConfig()), svc)
	n.iot = &iotNode{svc: svc}
	ic := n.cfg.IoT.Credentials
	if !ic.Enabled() {
		return nil
	}
	dp := *p
	dp.Authenticator = storeGate{next: provider.Authenticator{Service: svc}, down: &n.down}
	dp.Principals, dp.Committers = nil, nil
	h, err := provider.New(provider.Config{Pipeline: &dp, Service: svc, ErrorMapper: iotStoreError, Logger: n.log})
	if err != nil {
		return err
	}
	n.iot.handler = countInFlight(h, &n.inFlight)
	if ic.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(ic.CertFile, ic.KeyFile)
		if err != nil {
			return fmt.Errorf("IoT credentials provider certificate: %w", err)
		}
		n.iot.tls = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	return nil
}

// iotStoreError words an unreachable store for the devices.
func iotStoreError(err error) (int, string, string, bool) {
	if we := storeError(err); we != nil {
		return http.StatusServiceUnavailable, "ServiceUnavailableException", "Service Unavailable", true
	}
	return 0, "", "", false
}

// iotServerOption puts the credentials provider on the server's
// client-certificate listener.
func (n *Node) iotServerOption() []server.Option {
	if n.iot == nil || n.iot.handler == nil {
		return nil
	}
	return []server.Option{server.WithClientCertListener("iot-credentials", n.iot.handler, writeIoTServerError, n.iot.tls)}
}

// writeIoTServerError writes the errors the server raises itself (an
// overload refusal, a panic) as the credentials provider's errors.
func writeIoTServerError(w http.ResponseWriter, ctx context.Context, e *awsquery.Error) {
	code, msg := "InternalFailureException", "Internal Failure"
	if e.Code.Status == http.StatusServiceUnavailable {
		code, msg = "ServiceUnavailableException", "Service Unavailable"
	}
	w.Header().Set("x-amzn-RequestId", request.IDFromContext(ctx))
	restjson.WriteError(w, &restjson.Error{Code: code, Status: e.Code.Status, Message: msg, RetryAfter: e.RetryAfter})
}

// listenIoT binds the credentials provider's listener.
func (n *Node) listenIoT(ctx context.Context) error {
	if n.iot == nil || n.iot.handler == nil {
		return nil
	}
	ln, err := n.bind(n.cfg.IoT.Credentials.Listen)
	if err != nil {
		return fmt.Errorf("IoT credentials provider listener: %w", err)
	}
	n.iot.ln = ln
	n.log.InfoContext(ctx, "IoT credentials provider listening", "url", n.IoTCredentialsURL())
	return nil
}

// iotEndpoint is what DescribeEndpoint answers for
// iot:CredentialProvider.
func (n *Node) iotEndpoint() string {
	if n.iot == nil || n.iot.ln == nil {
		return ""
	}
	return n.cfg.IoT.Credentials.IoTEndpoint(n.iot.ln.Addr())
}

// IoTCredentialsURL is the credentials provider's base URL, "" when it is
// off.
func (n *Node) IoTCredentialsURL() string {
	if n.iot == nil || n.iot.ln == nil {
		return ""
	}
	return "https://" + n.iot.ln.Addr().String()
}

// runIoT serves the credentials provider until ctx ends.
func (n *Node) runIoT(ctx context.Context) error { return n.srv.RunClientCert(ctx, n.iot.ln) }

// applyIoT drops the IoT objects that changed from the credentials
// provider's cache: a certificate revoked through any node is refused by
// this one from the next request on.
func (n *Node) applyIoT(changes []store.Change) {
	if n.iot != nil {
		n.iot.svc.Apply(changes)
	}
}
