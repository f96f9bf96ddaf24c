package e2e

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
)

// TestIoTCredentialsProvider sets a device up with boto3's iot client and
// fetches credentials with curl exactly as AWS's device documentation
// shows, then uses them with the AWS CLI; and checks what must be
// refused.
func TestIoTCredentialsProvider(t *testing.T) {
	need(t, "python3 with boto3", haveBoto3())
	need(t, "curl", have("curl"))
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	serverCA := x509test.NewCA(t, x509test.Options{CN: "Brevet IoT server CA"})
	server := serverCA.Leaf(t, x509test.Options{CN: "127.0.0.1", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	factory := x509test.NewCA(t, x509test.Options{CN: "Factory CA"})
	device := factory.Leaf(t, x509test.Options{CN: "lamp-001"})
	sensor := x509test.NewCA(t, x509test.Options{CN: "Vendor CA"}).Leaf(t, x509test.Options{CN: "sensor-002", Key: x509test.RSA})
	write("server-ca.pem", serverCA.CertPEM())
	write("factory-ca.pem", factory.CertPEM())
	write("device.pem", x509test.CertsPEM(device.Cert))
	write("device.key", x509test.KeyPEM(t, device.Key))
	write("sensor.pem", x509test.CertsPEM(sensor.Cert))
	write("sensor.key", x509test.KeyPEM(t, sensor.Key))

	port, err := unusedPort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + port
	b := startBrevet(t, "--iot-credentials-listen", addr,
		"--iot-credentials-tls-cert", write("server.pem", x509test.CertsPEM(server.Cert, serverCA.Cert)),
		"--iot-credentials-tls-key", write("server.key", x509test.KeyPEM(t, server.Key)))
	c := newClient(t, b)

	trust := func(service string) string {
		return "file://" + write(service+"-trust.json", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
			`"Principal":{"Service":"`+service+`"},"Action":"sts:AssumeRole"}]}`))
	}
	c.aws("iam", "create-role", "--role-name", "lamp", "--assume-role-policy-document", trust("credentials.iot.amazonaws.com"))
	c.aws("iam", "create-role", "--role-name", "ec2only", "--assume-role-policy-document", trust("ec2.amazonaws.com"))
	roleARN := "arn:aws:iam::" + b.Account + ":role/lamp"

	wd, _ := os.Getwd()
	out, err := c.with("E2E_DIR="+dir, "E2E_ROLE_ARN="+roleARN, "E2E_EC2_ROLE_ARN=arn:aws:iam::"+b.Account+":role/ec2only").
		exec("python3", wd+"/testdata/iot_boto3.py")
	if err != nil {
		t.Fatalf("boto3 set-up: %v\n%s", err, out)
	}
	var setup struct{ DeviceID, DeviceArn, CAID, SensorID, AliasArn, Endpoint string }
	if err := json.Unmarshal([]byte(out), &setup); err != nil {
		t.Fatalf("boto3 set-up printed %q: %v", out, err)
	}
	if setup.Endpoint != addr {
		t.Errorf("describe-endpoint = %q, want %q", setup.Endpoint, addr)
	}

	// curl as AWS's documentation shows it: the device's certificate and
	// key, the server's CA, the thing name header.
	curl := func(cert, key, alias, thing string) (status, body string) {
		t.Helper()
		args := []string{"--silent", "--show-error", "--output", "-", "--write-out", "\n%{http_code}", "--cacert", filepath.Join(dir, "server-ca.pem")}
		if cert != "" {
			args = append(args, "--cert", filepath.Join(dir, cert), "--key", filepath.Join(dir, key))
		}
		if thing != "" {
			args = append(args, "-H", "x-amzn-iot-thingname: "+thing)
		}
		out, err := c.exec("curl", append(args, "https://"+setup.Endpoint+"/role-aliases/"+alias+"/credentials")...)
		if err != nil {
			t.Fatal(err)
		}
		body, status, _ = strings.Cut(strings.TrimSpace(out), "\n")
		return status, body
	}
	status, body := curl("device.pem", "device.key", "lamp-role", "lamp")
	if status != "200" {
		t.Fatalf("credentials: %s %s", status, body)
	}
	var creds struct {
		Credentials struct{ AccessKeyID, SecretAccessKey, SessionToken, Expiration string } `json:"credentials"`
	}
	if err := json.Unmarshal([]byte(body), &creds); err != nil {
		t.Fatal(err)
	}
	cr := creds.Credentials
	who := c.with("AWS_ACCESS_KEY_ID="+cr.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+cr.SecretAccessKey, "AWS_SESSION_TOKEN="+cr.SessionToken,
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent").
		aws("sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if want := "arn:aws:sts::" + b.Account + ":assumed-role/lamp/" + setup.DeviceID; strings.TrimSpace(who) != want {
		t.Errorf("get-caller-identity = %s, want %s", who, want)
	}
	if status, body := curl("sensor.pem", "sensor.key", "lamp-role", ""); status != "200" {
		t.Errorf("a certificate registered without a CA: %s %s", status, body)
	}

	refuse := func(name, cert, key, alias, thing, wantStatus, wantMessage string) {
		t.Helper()
		status, body := curl(cert, key, alias, thing)
		if status != wantStatus || body != `{"message":"`+wantMessage+`"}` {
			t.Errorf("%s: %s %s, want %s %s", name, status, body, wantStatus, wantMessage)
		}
	}
	refuse("no client certificate", "", "", "lamp-role", "lamp", "403", "Certificate is invalid on this endpoint")
	refuse("a thing not attached to the certificate", "device.pem", "device.key", "lamp-role", "other", "403", "Invalid thing name passed")
	refuse("an unknown role alias", "device.pem", "device.key", "nope", "lamp", "404", "Role alias does not exist")
	refuse("a role that does not trust the provider", "device.pem", "device.key", "ec2-role", "lamp", "400",
		"Unable to assume the role, or the role to assume does not exist")

	// Status changes take effect at once.
	c.aws("iot", "update-certificate", "--certificate-id", setup.DeviceID, "--new-status", "INACTIVE")
	refuse("an inactive certificate", "device.pem", "device.key", "lamp-role", "lamp", "403", "Access Denied")
	c.aws("iot", "update-certificate", "--certificate-id", setup.DeviceID, "--new-status", "ACTIVE")
	if status, body := curl("device.pem", "device.key", "lamp-role", "lamp"); status != "200" {
		t.Errorf("reactivated: %s %s", status, body)
	}
	c.aws("iot", "update-ca-certificate", "--certificate-id", setup.CAID, "--new-status", "INACTIVE")
	refuse("a certificate whose CA is inactive", "device.pem", "device.key", "lamp-role", "lamp", "403", "Access Denied")
	c.aws("iot", "update-ca-certificate", "--certificate-id", setup.CAID, "--new-status", "ACTIVE")
	c.aws("iot", "update-certificate", "--certificate-id", setup.DeviceID, "--new-status", "REVOKED")
	refuse("a revoked certificate", "device.pem", "device.key", "lamp-role", "lamp", "403", "Access Denied")
	if msg := c.awsErr("iot", "update-certificate", "--certificate-id", setup.DeviceID, "--new-status", "ACTIVE"); !strings.Contains(msg, "CertificateStateException") {
		t.Errorf("reactivating a revoked certificate: %s", msg)
	}
	c.aws("iot", "detach-thing-principal", "--thing-name", "lamp", "--principal", setup.DeviceArn)
	c.aws("iot", "delete-certificate", "--certificate-id", setup.DeviceID)
	refuse("a deleted certificate", "device.pem", "device.key", "lamp-role", "", "403", "Certificate is invalid on this endpoint")
}
