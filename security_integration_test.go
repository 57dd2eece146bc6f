package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/stream"
)

// The security integration test starts its own one-node Apache Kafka broker with a SASL_SSL
// listener (scripts/kafka/kafka.sh start --sasl-ssl) whose certificates the test makes, and a
// SCRAM-SHA-512 user, and runs holostream against it over TLS (mutual: the listener requires a
// client certificate) with SCRAM. `make test` runs it: scripts/integration.sh sets
// HOLOSTREAM_TEST_KAFKA_DIR once the broker's jars are fetched.

// testPKI is a CA and the certificates it signed, as PEM files in dir.
type testPKI struct {
	caFile, clientCert, clientKey string
	// serverChain, serverKey and caPEM are PEM text for the broker's inline PEM stores (KIP-651).
	serverChain, serverKey, caPEM []byte
}

// newTestPKI makes a CA, a server certificate for 127.0.0.1 and localhost, and a client
// certificate, ECDSA P-256, valid for an hour. Keys are PKCS#8, which is what Kafka's PEM key
// store reads unencrypted.
func newTestPKI(t *testing.T, dir string) testPKI {
	t.Helper()
	now := time.Now()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "holostream test CA"},
		NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP, names []string) (certPEM, keyPEM []byte) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, DNSNames: names}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		p8, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})
	}
	p := testPKI{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	p.serverChain, p.serverKey = leaf(2, "kafka", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"})
	clientCert, clientKey := leaf(3, "holostream", x509.ExtKeyUsageClientAuth, nil, nil)
	p.caFile, p.clientCert, p.clientKey = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	for name, b := range map[string][]byte{p.caFile: p.caPEM, p.clientCert: clientCert, p.clientKey: clientKey} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// propPEM writes PEM text as one java.util.Properties value: newlines as \n escapes.
func propPEM(b []byte) string {
	return strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", `\n`)
}

// startSecureBroker starts a one-node broker in dir with a SASL_SSL listener that presents the
// PKI's server certificate, requires a client certificate signed by its CA, and knows one
// SCRAM-SHA-512 user; it returns the SASL_SSL bootstrap list and stops the broker at cleanup.
func startSecureBroker(t *testing.T, dir string, p testPKI, user, password string) []string {
	t.Helper()
	sasl, _ := startBroker(t, dir, p, []scramUser{{user, password}})
	return sasl
}

// scramUser is a SCRAM-SHA-512 user of a test broker.
type scramUser struct{ name, password string }

// startBroker starts a one-node broker in dir as startSecureBroker does, with the given users and
// more arguments for kafka.sh start (--acl); it returns the SASL_SSL bootstrap list and the
// PLAINTEXT one (the brokers' own listener: with --acl, its clients are the super user).
func startBroker(t *testing.T, dir string, p testPKI, users []scramUser, more ...string) (sasl, plain []string) {
	t.Helper()
	// Listener-prefixed, so they apply to SASL_SSL only; ssl.client.auth on a SASL_SSL listener
	// is honoured only with the prefix (KIP-684).
	props := strings.Join([]string{
		"listener.name.sasl_ssl.ssl.keystore.type=PEM",
		"listener.name.sasl_ssl.ssl.keystore.certificate.chain=" + propPEM(p.serverChain),
		"listener.name.sasl_ssl.ssl.keystore.key=" + propPEM(p.serverKey),
		"listener.name.sasl_ssl.ssl.truststore.type=PEM",
		"listener.name.sasl_ssl.ssl.truststore.certificates=" + propPEM(p.caPEM),
		"listener.name.sasl_ssl.ssl.client.auth=required",
	}, "\n") + "\n"
	conf := filepath.Join(dir, "sasl-ssl.properties")
	if err := os.WriteFile(conf, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	kdir := filepath.Join(dir, "kafka")
	script := filepath.Join("scripts", "kafka", "kafka.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{script, "start", "--nodes", "1", "--dir", kdir, "--timeout", "150", "--sasl-ssl", "--config", conf}
	for _, u := range users {
		args = append(args, "--scram", fmt.Sprintf("SCRAM-SHA-512=[name=%s,password=%s]", u.name, u.password))
	}
	cmd := exec.CommandContext(ctx, "bash", append(args, more...)...)
	// Stop whatever started, even if start failed half-way.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "bash", script, "stop", "--dir", kdir).CombinedOutput(); err != nil {
			t.Errorf("stop the secure broker: %v\n%s", err, out)
		}
	})
	t0 := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(kdir, "logs", "node1", "server.log"))
		if len(log) > 4000 {
			log = log[len(log)-4000:]
		}
		t.Fatalf("start a SASL_SSL broker: %v\n%s\nserver.log tail:\n%s", err, out, log)
	}
	read := func(name string) []string {
		b, err := os.ReadFile(filepath.Join(kdir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(b)), ",")
	}
	sasl, plain = read("bootstrap_sasl_ssl"), read("bootstrap")
	t.Logf("SASL_SSL broker %s up in %v", strings.Join(sasl, ","), time.Since(t0).Round(100*time.Millisecond))
	return sasl, plain
}

// TestRealKafkaSASLSSL: over TLS (the test's CA, a client certificate) with SCRAM-SHA-512,
// holostream creates its topics, produces frames, runs the processors (consumer group, table,
// emitters) and reads the table with a view and the keypoints with a consumer; a wrong password,
// a client without TLS and a client that does not trust the broker's CA each fail, with an error
// that says why, within a bounded time.
func TestRealKafkaSASLSSL(t *testing.T) {
	if os.Getenv("HOLOSTREAM_TEST_KAFKA_DIR") == "" {
		t.Skip("no Kafka jars fetched: `make test` fetches them (scripts/integration.sh)")
	}
	dir := t.TempDir()
	p := newTestPKI(t, dir)
	const user, password = "alice", "alice-s3cret"
	brokers := startSecureBroker(t, dir, p, user, password)

	secure := kafka.Config{Brokers: brokers, ClientID: "it-secure", Partitions: 2, Version: "4.1.0",
		TLS:  kafka.TLS{Enabled: true, CAFile: p.caFile, CertFile: p.clientCert, KeyFile: p.clientKey},
		SASL: kafka.SASL{Mechanism: kafka.SCRAMSHA512, User: user, Password: password}}

	t.Run("pipeline", func(t *testing.T) {
		clients, err := kafka.New(secure)
		if err != nil {
			t.Fatal(err)
		}
		topo := stream.NewTopology(uniquePrefix("secure"))
		ctx := context.Background()
		w, lm, src := pipelineParts(t, topo, "")
		in := startInstance(t, topo, clients, w, lm)
		defer in.stop(t)
		cam := camera.Camera{ID: "vault-1", User: "bob", Now: steppingClock(time.Now())}
		if n, err := stream.Produce(ctx, clients, topo, w, src[:8], []camera.Camera{cam}, 8); err != nil || n != 8 {
			t.Fatalf("produced %d of 8 frames: %v", n, err)
		}
		states := waitAccounted(t, topo, clients, []string{cam.ID}, 8)
		if c := states[0].Counters; c.Emitted != 8 || !c.Balanced() {
			t.Errorf("counters %+v: want 8 frames emitted", c)
		}
		// The keypoints back through a plain consumer on the same secured connection.
		tctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		seqs := map[int64]bool{}
		err = stream.Tail(tctx, clients, []string{string(topo.Keypoints)}, true, func(r stream.Record) error {
			ev, err := w.Keypoints.Decode(r.Value)
			if err != nil {
				return err
			}
			seqs[ev.Seq] = true
			if len(seqs) == 8 {
				return stream.ErrStop
			}
			return nil
		})
		if err != nil || len(seqs) != 8 {
			t.Fatalf("read back %d of 8 keypoint events: %v", len(seqs), err)
		}
	})

	// Each of these must fail to connect, saying why, well before the bound (sarama retries the
	// metadata 10 times, 500 ms apart: about 5 s). They run side by side after the pipeline.
	for i, tc := range []struct {
		name string
		edit func(*kafka.Config)
		want []string // in the error, any of them
	}{
		{"wrong password", func(c *kafka.Config) { c.SASL.Password = "not-" + password }, []string{"SASL Authentication failed", "invalid credentials"}},
		{"no TLS", func(c *kafka.Config) { c.TLS = kafka.TLS{} }, []string{"add --tls"}},
		{"no SASL", func(c *kafka.Config) { c.SASL = kafka.SASL{} }, []string{"--sasl-mechanism"}},
		{"CA not trusted", func(c *kafka.Config) { c.TLS.CAFile = "" }, []string{"certificate signed by unknown authority"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := secure
			tc.edit(&cfg)
			clients, err := kafka.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			errc := make(chan error, 1)
			go func() { errc <- clients.EnsureStreams(stream.NewTopology(uniquePrefix("denied")).Frames) }()
			select {
			case err = <-errc:
			case <-time.After(90 * time.Second):
				t.Fatalf("case %d (%s): no answer within 90 s", i, tc.name)
			}
			if err == nil {
				t.Fatalf("case %d (%s): connected", i, tc.name)
			}
			ok := false
			for _, w := range tc.want {
				ok = ok || strings.Contains(err.Error(), w)
			}
			if !ok {
				t.Errorf("case %d (%s): error %q names none of %q", i, tc.name, err, tc.want)
			}
			t.Logf("refused in %v: %v", time.Since(t0).Round(time.Millisecond), err)
		})
	}
}
