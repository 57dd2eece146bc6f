package schemas

import "strconv"

// PersonKey is the user id of one tracked person's actions and pose-stats when a camera follows
// several people (KeypointEvent.People): "<camera>#<id>" for a camera whose frames carry no user
// id of their own (or the camera's), "<user>#<camera>#<id>" otherwise, e.g. "cam-1#2" or
// "ann#cam-1#2". Track ids are a camera's, so the camera is in the key; the id is the part after
// the last '#'. Ids are not escaped: a user id that looks like one of these keys would share its
// analytics (the gateway takes no id with '#').
func PersonKey(user, camera string, id int64) string {
	n := strconv.FormatInt(id, 10)
	if user == "" || user == camera {
		return camera + "#" + n
	}
	return user + "#" + camera + "#" + n
}
