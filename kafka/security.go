package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

// TLS is how holostream encrypts its connections to the brokers and checks who they are. The
// zero value is plaintext.
type TLS struct {
	// Enabled turns TLS on; the other fields need it.
	Enabled bool
	// CAFile is a PEM file of the certificates that sign the brokers' certificates; empty: the
	// system's roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for brokers that require
	// mutual TLS (ssl.client.auth=required); both or neither.
	CertFile, KeyFile string
	// ServerName is the name the brokers' certificates must carry; empty: the host of each
	// broker's address (an IP address is checked against the certificate's IP SANs).
	ServerName string
	// InsecureSkipVerify accepts any certificate the brokers present: encryption without
	// authentication of the broker, for tests only.
	InsecureSkipVerify bool
}

// SASL mechanisms holostream speaks.
const (
	SCRAMSHA512 = "SCRAM-SHA-512"
	SCRAMSHA256 = "SCRAM-SHA-256"
	// Plain sends the password itself: use it only over TLS.
	Plain = "PLAIN"
)

// SASL is how holostream authenticates to the brokers. The zero value is no authentication.
type SASL struct {
	// Mechanism is SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN (any case); empty: no SASL.
	Mechanism string
	User      string
	// Password comes from the environment or a file, never from a flag (flags show in ps).
	Password string
}

// tlsConfig builds the crypto/tls configuration, or nil when TLS is off. It reads the files, so a
// missing or malformed one fails here, at start, naming the file.
func (t TLS) tlsConfig() (*tls.Config, error) {
	if !t.Enabled {
		if t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" || t.InsecureSkipVerify {
			return nil, errors.New("kafka: TLS settings given but TLS is off: add --tls (or HOLOSTREAM_TLS=true)")
		}
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: TLS CA file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka: TLS CA file %s: no PEM certificate in it", t.CAFile)
		}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("kafka: TLS client certificate: give both --tls-cert and --tls-key, or neither")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: TLS client certificate %s, key %s: %w", t.CertFile, t.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// apply checks s and sets sarama's SASL settings; it does nothing when s is the zero value.
func (s SASL) apply(sc *sarama.Config) error {
	mech := strings.ToUpper(strings.TrimSpace(s.Mechanism))
	if mech == "" {
		if s.User != "" || s.Password != "" {
			return errors.New("kafka: SASL user or password given without a mechanism: add --sasl-mechanism SCRAM-SHA-512 (or SCRAM-SHA-256, PLAIN)")
		}
		return nil
	}
	if s.User == "" {
		return fmt.Errorf("kafka: SASL %s: no user: give --sasl-user (or HOLOSTREAM_SASL_USER)", mech)
	}
	if s.Password == "" {
		return fmt.Errorf("kafka: SASL %s: no password: set HOLOSTREAM_SASL_PASSWORD or give --sasl-password-file", mech)
	}
	sc.Net.SASL.Enable = true
	sc.Net.SASL.Handshake = true
	sc.Net.SASL.User = s.User
	sc.Net.SASL.Password = s.Password
	switch mech {
	case SCRAMSHA512:
		sc.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
		sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA512} }
	case SCRAMSHA256:
		sc.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
		sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA256} }
	case Plain:
		sc.Net.SASL.Mechanism = sarama.SASLTypePlaintext
	default:
		return fmt.Errorf("kafka: SASL mechanism %q: want %s, %s or %s", s.Mechanism, SCRAMSHA512, SCRAMSHA256, Plain)
	}
	return nil
}

// scramClient is sarama's SCRAM conversation (RFC 5802) on github.com/xdg-go/scram, as in
// sarama's examples/sasl_scram_client. sarama makes one per connection; it is not safe for
// concurrent use.
type scramClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (c *scramClient) Begin(user, password, authzID string) error {
	cl, err := c.hash.NewClient(user, password, authzID)
	if err != nil {
		return fmt.Errorf("scram: %w", err)
	}
	c.conv = cl.NewConversation()
	return nil
}

func (c *scramClient) Step(challenge string) (string, error) { return c.conv.Step(challenge) }

func (c *scramClient) Done() bool { return c.conv.Done() }

// ConnectError wraps an error from connecting to the brokers with their addresses and, when the
// error looks like a security mismatch, what to change. goka flattens sarama's errors to text
// (%v), so the checks fall back on the messages.
func (k *Clients) ConnectError(err error) error {
	return fmt.Errorf("kafka: connect to %s: %w%s", strings.Join(k.Config.Brokers, ","), err, securityHint(k.Config, err))
}

func securityHint(c Config, err error) string {
	msg := err.Error()
	hungUp := errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		strings.HasSuffix(msg, ": EOF") || strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset by peer")
	var notTLS tls.RecordHeaderError
	var unknownCA x509.UnknownAuthorityError
	switch {
	case hungUp && !c.TLS.Enabled:
		return " (the broker hung up: if its listener is SSL or SASL_SSL, add --tls)"
	case hungUp && c.SASL.Mechanism == "":
		return " (the broker hung up: if its listener is SASL_SSL, give --sasl-mechanism and --sasl-user)"
	case errors.As(err, &notTLS) || strings.Contains(msg, "does not look like a TLS handshake"):
		return " (the listener does not speak TLS: check the port, or drop --tls)"
	case errors.As(err, &unknownCA) || strings.Contains(msg, "certificate signed by unknown authority"):
		return " (give --tls-ca: the CA certificate that signed the brokers' certificates)"
	}
	return ""
}
