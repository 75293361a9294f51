/**
 * Collects a child process's stdout and stderr as one text while it runs, for the lines tests wait on ("listening
 * on ...") and for the message when it exits early. Returns a reader of what has arrived so far.
 */
export function captureOutput(proc: { readonly stdout: ReadableStream<Uint8Array>; readonly stderr: ReadableStream<Uint8Array> }): () => string {
  let output = '';
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) output += decoder.decode(r.value, { stream: true });
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  return () => output;
}
