/*
 * URL paths more than one worker knows: the http worker routes them, the
 * worker behind serves them.
 */
#ifndef PROTOCOL_HTTP_PATHS_H
#define PROTOCOL_HTTP_PATHS_H

#define CANVAS_PREFIX "/__openclaw__/canvas"
/* Reserved for worker-internal endpoints: never upgraded nor served. */
#define WORKER_PREFIX "/__openclaw__/worker"

#endif
