package io.credpool.scan;

/**
 * A byte range seen as characters one-to-one (ISO-8859-1), so regexes run over file bytes with
 * no copy and no String that could outlive the scan: character index = byte offset.
 */
final class Latin1 implements CharSequence {
    private final byte[] bytes;
    private final int offset;
    private final int length;

    Latin1(byte[] bytes, int offset, int length) {
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public char charAt(int index) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException(index);
        }
        return (char) (bytes[offset + index] & 0xff);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return new Latin1(bytes, offset + start, end - start);
    }

    @Override
    public String toString() {
        // Deliberately not the content: this may span a secret.
        return "Latin1[" + length + " bytes]";
    }
}
