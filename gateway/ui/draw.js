// draw.js: landmarks on a canvas, as MediaPipe's drawing_utils draws them.
//
// The bones come from GET /v1/skeleton (never hard-coded here). Joints are discs in the colour
// of their side: odd pose indices are the person's left (orange), even ones their right (cyan),
// 0 (the nose) the centre (white); the same palette as `holostream infer --overlay`. A pose
// landmark with visibility or presence below 0.5, or outside the frame, is not drawn, nor are its
// bones. Face points (green) and hand points carry no visibility: all of them are drawn. A refined
// face (478 points) also gets a magenta ring per iris, through its four edge points.

import { api } from "/ui/api.js";

export const COLOURS = { left: "rgb(255,138,0)", right: "rgb(0,217,231)", centre: "rgb(255,255,255)" };
const BONE = "rgb(224,224,224)";
const FACE = "rgba(120,255,120,0.9)";
const IRIS = "rgb(255,64,160)";
const OUTLINE = "rgba(0,0,0,0.55)";
const MIN_VISIBILITY = 0.5;

let skeleton = null; // the promise of GET /v1/skeleton, fetched once per page

export function loadSkeleton() {
  skeleton ??= api("/v1/skeleton").catch((err) => {
    skeleton = null; // try again next time
    throw err;
  });
  return skeleton;
}

// side names the colour of pose landmark i.
export function side(i) {
  return i === 0 ? "centre" : i % 2 ? "left" : "right";
}

// shown says whether a pose landmark is drawn (drawing_utils' visibility and presence
// thresholds, and its rule that points outside the image are skipped).
function shown(p) {
  return p && (p.visibility ?? 1) >= MIN_VISIBILITY && (p.presence ?? 1) >= MIN_VISIBILITY &&
    p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1;
}

// drawPerson draws the landmarks of one frame over ctx's canvas of w x h pixels. person is a
// POST /v1/infer answer or a keypoint event: both have pose, face, left_hand and right_hand
// (each null when absent), with x and y normalized to [0,1]. It returns what it drew,
// {joints: pose joints, hands: hand joints, face: face points, irises: iris rings}, and visible:
// the pose landmarks visible enough to draw.
//
// Where holistic found the face or a hand, the pose's coarse points there (0-10 for the face;
// 17-22, the fingers, for the hands) give way to the finer ones, as in MediaPipe's holistic demo.
//
// boneColour, when given, colours this person's bones (drawPeople tells people apart with it).
export function drawPerson(ctx, sk, person, w, h, boneColour = BONE) {
  const unit = Math.max(1, Math.min(w, h) / 200); // line widths and radii grow with the image
  const drawn = { joints: 0, hands: 0, face: 0, irises: 0, visible: 0 };
  const at = (p) => [p.x * w, p.y * h];
  const replaced = new Set([
    ...(person.face ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : []),
    ...(person.left_hand ? [17, 19, 21] : []),
    ...(person.right_hand ? [18, 20, 22] : []),
  ]);
  ctx.save();
  ctx.lineCap = "round";

  const pose = person.pose?.landmarks;
  if (pose) {
    const ok = (i) => !replaced.has(i) && shown(pose[i]);
    drawn.visible = pose.filter(shown).length;
    bones(ctx, pose, sk.pose_connections, at, unit * 1.5, ok, boneColour);
    pose.forEach((p, i) => {
      if (!ok(i)) return;
      dot(ctx, at(p), unit * 2.5, COLOURS[side(i)], OUTLINE);
      drawn.joints++;
    });
  }
  const face = person.face || [];
  for (const p of face) {
    dot(ctx, at(p), Math.max(1, unit * 0.5), FACE, null);
    drawn.face++;
  }
  for (const [first, last] of sk.irises || []) {
    if (face.length <= last) continue; // a 468-point face has no irises
    const [cx, cy] = at(face[first]);
    let r = 0;
    for (let i = first + 1; i <= last; i++) {
      const [x, y] = at(face[i]);
      r += Math.hypot(x - cx, y - cy) / (last - first);
    }
    ctx.beginPath();
    ctx.arc(cx, cy, r, 0, 2 * Math.PI);
    ctx.strokeStyle = IRIS;
    ctx.lineWidth = Math.max(1, unit * 0.6);
    ctx.stroke();
    drawn.irises++;
  }
  for (const [hand, colour] of [[person.left_hand, COLOURS.left], [person.right_hand, COLOURS.right]]) {
    if (!hand) continue;
    bones(ctx, hand, sk.hand_connections, at, unit * 0.8, () => true);
    for (const p of hand) {
      dot(ctx, at(p), unit * 1.3, colour, OUTLINE);
      drawn.hands++;
    }
  }
  ctx.restore();
  return drawn;
}

// PERSON_COLOURS tell people apart: the bones and the id label of the person with id k take
// colour k (mod the list), so a tracked person keeps their colour from frame to frame; well apart
// in hue and away from the joints' orange, cyan and white.
export const PERSON_COLOURS = ["rgb(120,230,90)", "rgb(255,80,200)", "rgb(255,220,60)", "rgb(150,120,255)", "rgb(255,90,90)", "rgb(90,160,255)"];

// drawPeople draws every person of an answer or event that has a "people" list (several people
// per image: MediaPipe Tasks' num_poses), each with its own bone colour and its id by its head;
// one without the list, or with an empty one (a keypoint event of a one-person camera), is drawn
// as one person, as drawPerson does. It returns drawPerson's
// counts summed over the people, and people: how many were drawn, ids: their ids in order.
export function drawPeople(ctx, sk, answer, w, h) {
  if (!Array.isArray(answer.people) || !answer.people.length) {
    const drawn = drawPerson(ctx, sk, answer, w, h);
    return { ...drawn, people: answer.pose ? 1 : 0, ids: [] };
  }
  const total = { joints: 0, hands: 0, face: 0, irises: 0, visible: 0, people: 0, ids: [] };
  answer.people.forEach((person, k) => {
    const n = PERSON_COLOURS.length;
    const colour = PERSON_COLOURS[(((person.id ?? k) % n) + n) % n];
    const drawn = drawPerson(ctx, sk, person, w, h, colour);
    for (const key of ["joints", "hands", "face", "irises", "visible"]) total[key] += drawn[key];
    total.people++;
    total.ids.push(person.id);
    label(ctx, person, w, h, colour);
  });
  return total;
}

// label writes a person's id above the highest of their visible pose landmarks.
function label(ctx, person, w, h, colour) {
  const pts = (person.pose?.landmarks || []).filter(shown);
  if (!pts.length) return;
  const top = pts.reduce((a, b) => (b.y < a.y ? b : a));
  const unit = Math.max(1, Math.min(w, h) / 200);
  const x = Math.min(Math.max(top.x * w, 4), w - 40);
  const y = Math.max(top.y * h - unit * 6, 14);
  ctx.save();
  ctx.font = `bold ${Math.round(Math.max(12, unit * 7))}px system-ui, sans-serif`;
  ctx.lineWidth = 3;
  ctx.strokeStyle = OUTLINE;
  ctx.strokeText(`#${person.id}`, x, y);
  ctx.fillStyle = colour;
  ctx.fillText(`#${person.id}`, x, y);
  ctx.restore();
}

// bones strokes each connection [a, b] of points whose two ends pass ok(index), over a
// darker outline so they read on light and dark pictures alike.
function bones(ctx, points, connections, at, width, ok, colour = BONE) {
  const path = new Path2D();
  for (const [a, b] of connections) {
    if (!ok(a) || !ok(b)) continue;
    path.moveTo(...at(points[a]));
    path.lineTo(...at(points[b]));
  }
  ctx.strokeStyle = OUTLINE;
  ctx.lineWidth = width + 2;
  ctx.stroke(path);
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.stroke(path);
}

function dot(ctx, [x, y], r, fill, outline) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = fill;
  ctx.fill();
  if (outline) {
    ctx.strokeStyle = outline;
    ctx.lineWidth = 1;
    ctx.stroke();
  }
}
