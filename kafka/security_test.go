package kafka

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

// selfSigned writes a self-signed certificate and its PKCS#8 key as PEM files in dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestSecurityConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	scram512 := SASL{Mechanism: "scram-sha-512", User: "alice", Password: "pw"}
	for i, tc := range []struct {
		tls     TLS
		sasl    SASL
		wantErr string // empty: valid
		check   func(*sarama.Config) bool
	}{
		{check: func(c *sarama.Config) bool { return !c.Net.TLS.Enable && !c.Net.SASL.Enable }},
		{tls: TLS{Enabled: true}, check: func(c *sarama.Config) bool {
			return c.Net.TLS.Enable && c.Net.TLS.Config.RootCAs == nil && !c.Net.TLS.Config.InsecureSkipVerify
		}},
		{tls: TLS{Enabled: true, CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "kafka.example"}, check: func(c *sarama.Config) bool {
			tc := c.Net.TLS.Config
			return tc.RootCAs != nil && len(tc.Certificates) == 1 && tc.ServerName == "kafka.example" && tc.MinVersion == 0x0303
		}},
		{tls: TLS{Enabled: true, InsecureSkipVerify: true}, check: func(c *sarama.Config) bool { return c.Net.TLS.Config.InsecureSkipVerify }},
		{tls: TLS{CAFile: cert}, wantErr: "add --tls"},
		{tls: TLS{InsecureSkipVerify: true}, wantErr: "add --tls"},
		{tls: TLS{Enabled: true, CAFile: filepath.Join(dir, "missing.pem")}, wantErr: "missing.pem: no such file"},
		{tls: TLS{Enabled: true, CAFile: notPEM}, wantErr: "no PEM certificate"},
		{tls: TLS{Enabled: true, CertFile: cert}, wantErr: "both --tls-cert and --tls-key"},
		{tls: TLS{Enabled: true, CertFile: cert, KeyFile: notPEM}, wantErr: "TLS client certificate"},
		{sasl: scram512, check: func(c *sarama.Config) bool {
			s := c.Net.SASL
			return s.Enable && s.Mechanism == sarama.SASLTypeSCRAMSHA512 && s.User == "alice" && s.Password == "pw" && s.SCRAMClientGeneratorFunc != nil
		}},
		{sasl: SASL{Mechanism: SCRAMSHA256, User: "a", Password: "p"}, check: func(c *sarama.Config) bool {
			return c.Net.SASL.Mechanism == sarama.SASLTypeSCRAMSHA256 && c.Net.SASL.SCRAMClientGeneratorFunc != nil
		}},
		{tls: TLS{Enabled: true}, sasl: SASL{Mechanism: Plain, User: "a", Password: "p"}, check: func(c *sarama.Config) bool {
			return c.Net.SASL.Mechanism == sarama.SASLTypePlaintext && c.Net.TLS.Enable
		}},
		{sasl: SASL{Mechanism: "GSSAPI", User: "a", Password: "p"}, wantErr: "want SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN"},
		{sasl: SASL{Mechanism: SCRAMSHA512, Password: "p"}, wantErr: "no user: give --sasl-user"},
		{sasl: SASL{Mechanism: SCRAMSHA512, User: "a"}, wantErr: "HOLOSTREAM_SASL_PASSWORD"},
		{sasl: SASL{User: "a", Password: "p"}, wantErr: "without a mechanism"},
	} {
		sc, err := Config{Brokers: []string{"127.0.0.1:9092"}, TLS: tc.tls, SASL: tc.sasl}.Sarama()
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("case %d: err = %v, want one with %q", i, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("case %d: %v", i, err)
		case tc.wantErr == "" && !tc.check(sc):
			t.Errorf("case %d: TLS %+v SASL %+v: not what was asked", i, sc.Net.TLS, sc.Net.SASL)
		}
	}
}

// TestSCRAMClient runs the client that sarama gets against xdg-go/scram's server: the right
// password completes the conversation, a wrong one is refused at the server's proof check.
func TestSCRAMClient(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		hash     scram.HashGeneratorFcn
		password string
		ok       bool
	}{
		{scram.SHA512, "s3cret", true},
		{scram.SHA256, "s3cret", true},
		{scram.SHA512, "wrong", false},
	} {
		stored, err := tc.hash.NewClient("alice", "s3cret", "")
		if err != nil {
			t.Fatal(err)
		}
		creds := stored.GetStoredCredentials(scram.KeyFactors{Salt: "salty-salt", Iters: 4096})
		srv, err := tc.hash.NewServer(func(user string) (scram.StoredCredentials, error) {
			if user != "alice" {
				return scram.StoredCredentials{}, errors.New("unknown user")
			}
			return creds, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sconv := srv.NewConversation()
		c := &scramClient{hash: tc.hash}
		if err := c.Begin("alice", tc.password, ""); err != nil {
			t.Fatal(err)
		}
		var serr error
		challenge := ""
		for n := 0; n < 4 && !c.Done() && serr == nil; n++ {
			var resp string
			if resp, err = c.Step(challenge); err != nil || c.Done() {
				break
			}
			challenge, serr = sconv.Step(resp)
		}
		if got := serr == nil && err == nil && c.Done() && sconv.Valid(); got != tc.ok {
			t.Errorf("case %d: authenticated = %v (client err %v, server err %v), want %v", i, got, err, serr, tc.ok)
		}
	}
}

func TestSecurityHint(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		c    Config
		err  error
		want string
	}{
		{Config{}, io.EOF, "add --tls"},
		{Config{}, errors.New("kafka: client has run out of available brokers to talk to: write tcp 1->2: write: broken pipe"), "add --tls"},
		{Config{TLS: TLS{Enabled: true}}, errors.New("Error creating the kafka client: x: EOF"), "--sasl-mechanism"},
		{Config{TLS: TLS{Enabled: true}}, errors.New("tls: first record does not look like a TLS handshake"), "drop --tls"},
		{Config{TLS: TLS{Enabled: true}}, errors.New("x509: certificate signed by unknown authority"), "--tls-ca"},
		{Config{TLS: TLS{Enabled: true}, SASL: SASL{Mechanism: SCRAMSHA512}}, errors.New("SASL Authentication failed"), ""},
	} {
		if got := securityHint(tc.c, tc.err); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("case %d: hint %q, want one with %q", i, got, tc.want)
		}
	}
}
