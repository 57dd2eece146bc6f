package kafka

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// aclCluster starts an in-process cluster (kfake, as the embedded one) with SASL and ACLs on,
// topics "a.in" and "a.out" made, and a SCRAM-SHA-512 user "app" granted acls; it returns the
// user's client configuration.
func aclCluster(t *testing.T, acls ...kfake.ACL) Config {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(2),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, "127.0.0.1:0") }),
		kfake.EnableSASL(), kfake.EnableACLs(), kfake.Superuser(SCRAMSHA512, "admin", "admin-pw"),
		kfake.User(SCRAMSHA512, "app", "app-pw", acls...), kfake.SeedTopics(2, "a.in", "a.out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return Config{Brokers: c.ListenAddrs(), Partitions: 2, SASL: SASL{Mechanism: SCRAMSHA512, User: "app", Password: "app-pw"}}
}

// allow is an ACL that grants op on a literal resource.
func allow(res kmsg.ACLResourceType, name string, op kmsg.ACLOperation) kfake.ACL {
	return kfake.ACL{Resource: res, Name: name, Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: op, Allow: true}
}

// testAccess is a small processor's: it reads a.in, writes a.out, reads and writes a.new (which
// it creates), and joins group a.g.
var testAccess = Access{
	Topics: []TopicAccess{
		{Topic: "a.in", Ops: []Operation{Read}, Create: true, Why: "input"},
		{Topic: "a.out", Ops: []Operation{Write}, Create: true, Why: "output"},
		{Topic: "a.new", Ops: []Operation{Read, Write}, Create: true, PartitionsLike: "a.in", Why: "loopback"},
	},
	Groups: []GroupAccess{{Group: "a.g", Ops: []Operation{Read}, Why: "its group"}},
}

// allGrants are what testAccess needs.
var allGrants = []kfake.ACL{
	allow(kmsg.ACLResourceTypeTopic, "a.in", kmsg.ACLOperationRead),
	allow(kmsg.ACLResourceTypeTopic, "a.out", kmsg.ACLOperationWrite),
	allow(kmsg.ACLResourceTypeTopic, "a.new", kmsg.ACLOperationRead),
	allow(kmsg.ACLResourceTypeTopic, "a.new", kmsg.ACLOperationWrite),
	allow(kmsg.ACLResourceTypeTopic, "a.new", kmsg.ACLOperationCreate),
	allow(kmsg.ACLResourceTypeGroup, "a.g", kmsg.ACLOperationRead),
}

// TestCheckAccess: with every grant, nothing is reported; without one, or several, each is
// named with its operation, resource and the kafka-acls line that grants it, all at once. A
// topic that exists but may not be described is never told to be created.
func TestCheckAccess(t *testing.T) {
	t.Parallel()
	without := func(drop ...int) []kfake.ACL {
		var out []kfake.ACL
		for i, a := range allGrants {
			if !slices.Contains(drop, i) {
				out = append(out, a)
			}
		}
		return out
	}
	type grant struct {
		resource, name string
		ops            []Operation
		absent, unseen bool
	}
	tests := []struct {
		name   string
		access *Access // testAccess when nil
		acls   []kfake.ACL
		want   []grant
		says   []string // in the message
		not    []string // never in it
	}{
		{name: "all granted", acls: allGrants},
		{name: "no Read on the group", acls: without(5),
			want: []grant{{"group", "a.g", []Operation{Read}, false, false}},
			says: []string{"principal User:app lacks Read on group a.g (its group); grant with: kafka-acls --bootstrap-server ", "--add --allow-principal User:app --operation Read --group a.g"}},
		{name: "Describe but no Write on an output", acls: append(without(1), allow(kmsg.ACLResourceTypeTopic, "a.out", kmsg.ACLOperationDescribe)),
			want: []grant{{"topic", "a.out", []Operation{Write}, false, false}},
			says: []string{"lacks Write on topic a.out (output); grant with:", "--operation Write --topic a.out"}},
		{name: "an existing input it may not describe", acls: without(0),
			want: []grant{{"topic", "a.in", []Operation{Read}, false, true}},
			says: []string{"lacks Read on topic a.in (input), which it may not even describe", "--operation Read --topic a.in", "should it not exist, also Create"},
			not:  []string{"create topic"}},
		{name: "a missing topic it may not create", acls: without(4),
			want: []grant{{"topic", "a.new", []Operation{Create}, true, false}},
			says: []string{"lacks Create on topic a.new (loopback), which does not exist yet", "--operation Create --topic a.new",
				"have an admin create it: kafka-topics --bootstrap-server", "--create --topic a.new --partitions 2 --replication-factor 1 --config cleanup.policy=delete"}},
		{name: "Create on the cluster will do", acls: append(without(4), allow(kmsg.ACLResourceTypeCluster, "kafka-cluster", kmsg.ACLOperationCreate))},
		{name: "a missing topic the command does not create", access: &Access{Topics: []TopicAccess{{Topic: "a.gone", Ops: []Operation{Read}, Why: "read"}}},
			acls: []kfake.ACL{allow(kmsg.ACLResourceTypeTopic, "a.gone", kmsg.ACLOperationRead)},
			want: []grant{{"topic", "a.gone", nil, true, false}},
			says: []string{"principal User:app misses 1 topic an admin must create", "topic a.gone (read) does not exist: an admin must create it"}, not: []string{"lacks"}},
		{name: "several at once", acls: without(0, 2, 3, 5),
			want: []grant{{"topic", "a.in", []Operation{Read}, false, true}, {"topic", "a.new", []Operation{Read, Write}, false, true}, {"group", "a.g", []Operation{Read}, false, false}},
			says: []string{"lacks 3 grants", "--operation Read --operation Write --topic a.new"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := New(aclCluster(t, tt.acls...))
			if err != nil {
				t.Fatal(err)
			}
			access := testAccess
			if tt.access != nil {
				access = *tt.access
			}
			err = k.CheckAccess(access)
			var ae *AccessError
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("case %d: %v", i, err)
				}
				return
			}
			if !errors.As(err, &ae) {
				t.Fatalf("case %d: error %v, want an *AccessError", i, err)
			}
			t.Log(err)
			var got []grant
			for _, g := range ae.Missing {
				got = append(got, grant{g.Resource, g.Name, g.Ops, g.Absent, g.Unseen})
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("case %d: missing %v, want %v", i, got, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("case %d: message does not say %q:\n%v", i, s, err)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(err.Error(), s) {
					t.Errorf("case %d: message says %q:\n%v", i, s, err)
				}
			}
			if Denied(err) == "" {
				t.Errorf("case %d: Denied does not tell the access error", i)
			}
		})
	}
}

// TestEnsureWithoutDescribeConfigs: a principal with Read on a topic that exists (no
// DescribeConfigs, no Create) gets through EnsureStreams; one that may not describe it is told
// it may neither see nor create it, not that a create failed.
func TestEnsureWithoutDescribeConfigs(t *testing.T) {
	t.Parallel()
	k, err := New(aclCluster(t, allow(kmsg.ACLResourceTypeTopic, "a.in", kmsg.ACLOperationRead)))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.EnsureStreams("a.in"); err != nil {
		t.Fatalf("ensure a topic it may read: %v", err)
	}
	err = k.EnsureStreams("a.out")
	if err == nil || !strings.Contains(err.Error(), "principal User:app may neither see it") || strings.Contains(err.Error(), "create topic") {
		t.Errorf("ensure a topic it may not describe: %v", err)
	}
}

// TestDenied: authorization errors are told from others, wrapped, or flattened to text as goka
// does, and get their Kafka code.
func TestDenied(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		err  error
		want string
	}{
		{sarama.ErrTopicAuthorizationFailed, "TOPIC_AUTHORIZATION_FAILED"},
		{fmt.Errorf("error emitting to k: %v", sarama.ErrTopicAuthorizationFailed), "TOPIC_AUTHORIZATION_FAILED"},
		{fmt.Errorf("consume: %w", sarama.ErrGroupAuthorizationFailed), "GROUP_AUTHORIZATION_FAILED"},
		{sarama.ErrClusterAuthorizationFailed, "CLUSTER_AUTHORIZATION_FAILED"},
		{&AccessError{Principal: "User:x"}, "MISSING_GRANTS"},
		{sarama.ErrMessageSizeTooLarge, ""},
		{sarama.ErrSASLAuthenticationFailed, ""},
		{errors.New("connection refused"), ""},
		{nil, ""},
	} {
		if got := Denied(tc.err); got != tc.want {
			t.Errorf("case %d (%v): %q, want %q", i, tc.err, got, tc.want)
		}
	}
}
