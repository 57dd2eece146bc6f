package kafka

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// Operation is what a principal may do with a resource, named as kafka-acls names it.
type Operation string

// The operations holostream needs. Read and Write on a topic, and Read on a group, imply
// Describe (Kafka grants it with them).
const (
	Describe Operation = "Describe"
	Read     Operation = "Read"
	Write    Operation = "Write"
	Create   Operation = "Create"
)

// bit is the operation's bit in the authorized-operations field of Metadata and DescribeGroups
// responses (KIP-430): its ACL operation code.
func (o Operation) bit() int32 {
	code := map[Operation]sarama.AclOperation{Describe: sarama.AclOperationDescribe, Read: sarama.AclOperationRead,
		Write: sarama.AclOperationWrite, Create: sarama.AclOperationCreate}[o]
	return 1 << int32(code)
}

// unknownOps is the authorized-operations field of a broker that did not compute it.
const unknownOps = math.MinInt32

// TopicAccess is a topic a command uses, and how.
type TopicAccess struct {
	Topic string
	// Ops are Read and Write, or Describe alone for a topic the command only checks.
	Ops []Operation
	// Create: the command creates the topic when it does not exist, which then needs Create on it
	// (or on the cluster), unless an admin creates it first.
	Create bool
	// Table: a compacted group table; PartitionsLike: the topic whose partition count it must
	// have (co-partitioned). Both shape the kafka-topics line that creates it.
	Table          bool
	PartitionsLike string
	// Why says who uses it, for the message.
	Why string
}

// GroupAccess is a consumer group a command uses, and how: Read to join it and commit offsets,
// Describe to read its offsets.
type GroupAccess struct {
	Group string
	Ops   []Operation
	Why   string
}

// Access is every topic and group a command uses.
type Access struct {
	Topics []TopicAccess
	Groups []GroupAccess
}

// Grant is access a principal lacks on one resource.
type Grant struct {
	Principal string
	// Resource is "topic" or "group".
	Resource, Name string
	Ops            []Operation
	Why            string
	// Absent: the topic does not exist. Unseen: the principal may not describe the topic, so it
	// cannot tell whether it exists; CreateDenied: and, should it not, it may not create it.
	Absent, Unseen, CreateDenied bool
	// create is the kafka-topics arguments that make the topic, for one the command creates.
	create string
}

// Command is the kafka-acls command line that grants it.
func (g Grant) Command(bootstrap string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kafka-acls --bootstrap-server %s --add --allow-principal %s", bootstrap, g.Principal)
	for _, op := range g.Ops {
		fmt.Fprintf(&b, " --operation %s", op)
	}
	fmt.Fprintf(&b, " --%s %s", g.Resource, g.Name)
	return b.String()
}

// line is the grant as one line an operator can act on.
func (g Grant) line(bootstrap string) string {
	var b strings.Builder
	why := ""
	if g.Why != "" {
		why = " (" + g.Why + ")"
	}
	if g.Absent && g.create == "" {
		// The command does not create it.
		fmt.Fprintf(&b, "topic %s%s does not exist: an admin must create it", g.Name, why)
		if len(g.Ops) > 0 {
			fmt.Fprintf(&b, "; principal %s also lacks %s on it; grant with: %s", g.Principal, opList(g.Ops), g.Command(bootstrap))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "principal %s lacks %s on %s %s%s", g.Principal, opList(g.Ops), g.Resource, g.Name, why)
	switch {
	case g.Absent:
		b.WriteString(", which does not exist yet")
	case g.Unseen:
		b.WriteString(", which it may not even describe (so it cannot tell whether it exists)")
	}
	fmt.Fprintf(&b, "; grant with: %s", g.Command(bootstrap))
	create := fmt.Sprintf("kafka-topics --bootstrap-server %s --create --topic %s %s", bootstrap, g.Name, g.create)
	switch {
	case g.Absent && slices.Contains(g.Ops, Create):
		fmt.Fprintf(&b, "; or, instead of Create, have an admin create it: %s", create)
	case g.CreateDenied:
		fmt.Fprintf(&b, "; should it not exist, also Create, or have an admin create it: %s", create)
	}
	return b.String()
}

func opList(ops []Operation) string {
	s := make([]string, len(ops))
	for i, op := range ops {
		s[i] = string(op)
	}
	return strings.Join(s, " and ")
}

// AccessError names every grant a principal lacks for a command.
type AccessError struct {
	Principal string
	Brokers   []string
	Missing   []Grant
}

// Lines are the missing grants, one line each, with the command that grants it.
func (e *AccessError) Lines() []string {
	lines := make([]string, len(e.Missing))
	for i, g := range e.Missing {
		lines[i] = g.line(strings.Join(e.Brokers, ","))
	}
	return lines
}

func (e *AccessError) Error() string {
	grants, topics := 0, 0
	for _, g := range e.Missing {
		if len(g.Ops) > 0 {
			grants++
		}
		if g.Absent && g.create == "" {
			topics++
		}
	}
	var what []string
	if grants > 0 {
		what = append(what, "lacks "+plural(grants, "grant"))
	}
	if topics > 0 {
		what = append(what, "misses "+plural(topics, "topic")+" an admin must create")
	}
	return fmt.Sprintf("kafka: principal %s %s on %s (run kafka-acls and kafka-topics as an admin: --command-config with its client settings):\n  %s",
		e.Principal, strings.Join(what, " and "), strings.Join(e.Brokers, ","), strings.Join(e.Lines(), "\n  "))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Principal is the name the brokers know this client by, as ACLs name it: the SASL user; without
// SASL, the subject of the TLS client certificate (Kafka's default mapping; ssl.principal.mapping.rules
// may change it); neither: User:ANONYMOUS.
func (c Config) Principal() string {
	if c.SASL.Mechanism != "" {
		return "User:" + c.SASL.User
	}
	if tc, err := c.TLS.tlsConfig(); err == nil && tc != nil && len(tc.Certificates) > 0 && tc.Certificates[0].Leaf != nil {
		return "User:" + tc.Certificates[0].Leaf.Subject.String()
	}
	return "User:ANONYMOUS"
}

// CheckAccess asks the cluster whether this client's principal may do everything a names: per
// topic, Describe, Read and Write as the topic's authorized operations (Metadata, KIP-430), and
// Create for a missing topic (a validate-only CreateTopics, so a Create on the cluster counts);
// per group, the group's authorized operations (DescribeGroups). Nothing is written or created.
// It returns an *AccessError naming every missing grant at once, nil when none is, and nil
// without asking for a protocol version before 2.4 or a broker that does not say.
func (k *Clients) CheckAccess(a Access) error {
	if !k.Sarama.Version.IsAtLeast(sarama.V2_4_0_0) {
		return nil
	}
	client, err := sarama.NewClient(k.Config.Brokers, k.fresh())
	if err != nil {
		return k.ConnectError(err)
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		client.Close()
		return k.ConnectError(err)
	}
	defer admin.Close() // closes client too
	c := accessCheck{k: k, client: client, admin: admin, principal: k.Config.Principal()}
	missing, err := c.topics(a.Topics)
	if err != nil {
		return err
	}
	more, err := c.groups(a.Groups)
	if err != nil {
		return err
	}
	if missing = append(missing, more...); len(missing) == 0 {
		return nil
	}
	return &AccessError{Principal: c.principal, Brokers: k.Config.Brokers, Missing: missing}
}

type accessCheck struct {
	k         *Clients
	client    sarama.Client
	admin     sarama.ClusterAdmin
	principal string
}

// topics checks the topics with one Metadata request.
func (c accessCheck) topics(need []TopicAccess) ([]Grant, error) {
	if len(need) == 0 {
		return nil, nil
	}
	names := make([]string, len(need))
	for i, t := range need {
		names[i] = t.Topic
	}
	req := sarama.NewMetadataRequest(c.k.Sarama.Version, names)
	req.AllowAutoTopicCreation = false
	req.IncludeTopicAuthorizedOperations = true
	b := c.client.LeastLoadedBroker()
	if b == nil {
		return nil, c.k.ConnectError(sarama.ErrOutOfBrokers)
	}
	if err := b.Open(c.client.Config()); err != nil && !errors.Is(err, sarama.ErrAlreadyConnected) {
		return nil, c.k.ConnectError(err)
	}
	resp, err := b.GetMetadata(req)
	if err != nil {
		return nil, fmt.Errorf("kafka: check access to topics: %w", err)
	}
	found := map[string]*sarama.TopicMetadata{}
	for _, t := range resp.Topics {
		found[t.Name] = t
	}
	var missing []Grant
	for _, t := range need {
		m, ok := found[t.Topic]
		if !ok {
			return nil, fmt.Errorf("kafka: check access to topic %s: the broker did not answer for it", t.Topic)
		}
		g, err := c.topic(t, m, found)
		if err != nil {
			return nil, err
		}
		if g != nil {
			missing = append(missing, *g)
		}
	}
	return missing, nil
}

// topic judges one topic's metadata: nil when nothing is missing.
func (c accessCheck) topic(t TopicAccess, m *sarama.TopicMetadata, all map[string]*sarama.TopicMetadata) (*Grant, error) {
	g := Grant{Principal: c.principal, Resource: "topic", Name: t.Topic, Why: t.Why}
	if t.Create {
		g.create = c.createArgs(t, all)
	}
	switch m.Err {
	case sarama.ErrTopicAuthorizationFailed:
		// No Describe: Read and Write would imply it, so neither is granted either. Whether the
		// topic exists cannot be seen; a validate-only create tells whether it could be made.
		g.Unseen, g.Ops = true, t.Ops
		g.CreateDenied = t.Create && c.createDenied(t)
		return &g, nil
	case sarama.ErrUnknownTopicOrPartition:
		g.Absent = true
		g.Ops = lacking(m.TopicAuthorizedOperations, t.Ops)
		if !t.Create {
			// The command does not make it: it must exist, whatever the grants.
			return &g, nil
		}
		// Create on the cluster allows it too, which the topic's operations do not show.
		if len(lacking(m.TopicAuthorizedOperations, []Operation{Create})) > 0 && c.createDenied(t) {
			g.Ops = append(g.Ops, Create)
		}
	case sarama.ErrNoError, sarama.ErrLeaderNotAvailable:
		g.Ops = lacking(m.TopicAuthorizedOperations, t.Ops)
	default:
		return nil, fmt.Errorf("kafka: check access to topic %s: %w", t.Topic, m.Err)
	}
	if len(g.Ops) == 0 {
		return nil, nil
	}
	return &g, nil
}

// lacking is the operations of want that the authorized-operations field ops does not have
// (none when the broker did not compute it).
func lacking(ops int32, want []Operation) []Operation {
	if ops == unknownOps {
		return nil
	}
	var out []Operation
	for _, op := range want {
		if ops&op.bit() == 0 {
			out = append(out, op)
		}
	}
	return out
}

// createDenied asks the controller to validate, not make, the topic: only a missing Create
// (on the topic or the cluster) counts as denied; other refusals (more replicas than brokers, a
// policy) surface when the topic is made.
func (c accessCheck) createDenied(t TopicAccess) bool {
	detail := &sarama.TopicDetail{NumPartitions: int32(c.k.Config.Partitions), ReplicationFactor: int16(c.k.Config.Replication)}
	err := c.admin.CreateTopic(t.Topic, detail, true)
	return errors.Is(err, sarama.ErrTopicAuthorizationFailed) || errors.Is(err, sarama.ErrClusterAuthorizationFailed)
}

// createArgs is the kafka-topics arguments that make t as holostream would.
func (c accessCheck) createArgs(t TopicAccess, all map[string]*sarama.TopicMetadata) string {
	n := c.k.Config.Partitions
	if like, ok := all[t.PartitionsLike]; ok && like.Err == sarama.ErrNoError && len(like.Partitions) > 0 {
		n = len(like.Partitions)
	}
	return CreateArgs(n, c.k.Config.Replication, c.k.TopicConfig(t.Table))
}

// TopicConfig is the config of the tables (compacted) or the streams holostream creates.
func (k *Clients) TopicConfig(table bool) map[string]string {
	if table {
		return k.tableConfig()
	}
	return k.streamConfig()
}

// CreateArgs is the kafka-topics arguments for a topic of n partitions, replication r and the
// given config, the config in name order.
func CreateArgs(n, r int, config map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "--partitions %d --replication-factor %d", n, r)
	names := make([]string, 0, len(config))
	for name := range config {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, " --config %s=%s", name, config[name])
	}
	return b.String()
}

// groups checks each group at its coordinator.
func (c accessCheck) groups(need []GroupAccess) ([]Grant, error) {
	var missing []Grant
	for _, g := range need {
		ops, err := c.groupOps(g.Group)
		if err != nil {
			return nil, err
		}
		if lack := lacking(ops, g.Ops); len(lack) > 0 {
			missing = append(missing, Grant{Principal: c.principal, Resource: "group", Name: g.Group, Ops: lack, Why: g.Why})
		}
	}
	return missing, nil
}

// groupOps is the group's authorized operations for this principal: none when it may not
// describe the group (Read would imply Describe). A group nobody has joined yet is described
// too (state Dead), with its operations. FindCoordinator is asked directly: sarama's client
// retries a refused one for ~5 s, as if the coordinator were moving. Other errors are asked
// again within the topic manager's CreateTopicTimeout: on a new cluster the first
// FindCoordinator makes the offsets topic, and the coordinator is not available until it is.
func (c accessCheck) groupOps(group string) (int32, error) {
	deadline := time.Now().Add(c.k.TopicMC.CreateTopicTimeout)
	for {
		ops, err := c.describeGroup(group)
		switch {
		case err == nil:
			return ops, nil
		case errors.Is(err, sarama.ErrGroupAuthorizationFailed):
			return 0, nil
		case !time.Now().Before(deadline):
			return 0, fmt.Errorf("kafka: check access to group %s: %w", group, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// describeGroup asks the group's coordinator for its authorized operations.
func (c accessCheck) describeGroup(group string) (int32, error) {
	b := c.client.LeastLoadedBroker()
	if b == nil {
		return 0, sarama.ErrOutOfBrokers
	}
	if err := b.Open(c.client.Config()); err != nil && !errors.Is(err, sarama.ErrAlreadyConnected) {
		return 0, err
	}
	fc, err := b.FindCoordinator(&sarama.FindCoordinatorRequest{Version: 2, CoordinatorKey: group, CoordinatorType: sarama.CoordinatorGroup})
	if err != nil {
		return 0, err
	}
	if fc.Err != sarama.ErrNoError {
		return 0, fc.Err
	}
	co, err := c.client.Broker(fc.Coordinator.ID())
	if err != nil {
		return 0, err
	}
	if err := co.Open(c.client.Config()); err != nil && !errors.Is(err, sarama.ErrAlreadyConnected) {
		return 0, err
	}
	resp, err := co.DescribeGroups(&sarama.DescribeGroupsRequest{Version: 5, Groups: []string{group}, IncludeAuthorizedOperations: true})
	if err != nil {
		return 0, err
	}
	i := slices.IndexFunc(resp.Groups, func(d *sarama.GroupDescription) bool { return d.GroupId == group })
	if i < 0 {
		return 0, sarama.ErrIncompleteResponse
	}
	if d := resp.Groups[i]; d.Err != sarama.ErrNoError {
		return 0, d.Err
	}
	return resp.Groups[i].AuthorizedOperations, nil
}

// Denied tells an authorization error (the principal lacks a grant: no retry cures it until an
// operator grants it) and returns its code, or "" for any other error. goka flattens sarama's
// errors to text (%v), so the messages are matched too.
func Denied(err error) string {
	if err == nil {
		return ""
	}
	for _, e := range []struct {
		err  sarama.KError
		code string
	}{
		{sarama.ErrTopicAuthorizationFailed, "TOPIC_AUTHORIZATION_FAILED"},
		{sarama.ErrGroupAuthorizationFailed, "GROUP_AUTHORIZATION_FAILED"},
		{sarama.ErrClusterAuthorizationFailed, "CLUSTER_AUTHORIZATION_FAILED"},
		{sarama.ErrTransactionalIDAuthorizationFailed, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"},
	} {
		if errors.Is(err, e.err) || strings.Contains(err.Error(), e.err.Error()) {
			return e.code
		}
	}
	var access *AccessError
	if errors.As(err, &access) {
		return "MISSING_GRANTS"
	}
	return ""
}
