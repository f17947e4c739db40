/* squid/line_reader.c: lines come out whole whatever the pieces they arrive in; a line longer
 * than the buffer is reported once and skipped, and the next line is read normally; memory
 * stays the buffer's; the end of input inside a line is told apart from one between lines. */
#include <unistd.h>

#include "check.h"
#include "line_reader.h"

/* A reader over a pipe holding `data` (written whole, then closed). */
static struct ne_line_reader reader(const char *data, size_t len, char *buf, size_t cap)
{
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    REQUIRE(write(fds[1], data, len) == (ssize_t)len);
    close(fds[1]);
    return (struct ne_line_reader){.fd = fds[0], .buf = buf, .cap = cap};
}

static void expect_line(struct ne_line_reader *r, const char *want)
{
    const char *line;
    size_t len;
    CHECK_EQ(ne_line_next(r, &line, &len), NE_LINE_OK);
    CHECK(len == strlen(want) && memcmp(line, want, len) == 0);
}

static void test_lines(void)
{
    char buf[16];
    struct ne_line_reader r = reader("YR a\nKK bb\n\nQQ\n", 15, buf, sizeof(buf));
    expect_line(&r, "YR a");
    expect_line(&r, "KK bb");
    expect_line(&r, "");
    expect_line(&r, "QQ");
    const char *line;
    size_t len;
    CHECK_EQ(ne_line_next(&r, &line, &len), NE_LINE_EOF);
    close(r.fd);
}

static void test_long_line_skipped(void)
{
    char buf[8], data[64];
    memset(data, 'x', sizeof(data));
    memcpy(data, "ok\n", 3);
    data[40] = '\n'; /* a 36-byte line in an 8-byte buffer */
    memcpy(data + 41, "YR tail\n", 8);
    struct ne_line_reader r = reader(data, 49, buf, sizeof(buf));
    const char *line;
    size_t len;
    expect_line(&r, "ok");
    CHECK_EQ(ne_line_next(&r, &line, &len), NE_LINE_TOO_LONG);
    expect_line(&r, "YR tail");
    CHECK_EQ(ne_line_next(&r, &line, &len), NE_LINE_EOF);
    close(r.fd);
    /* exactly the buffer without its newline is too long: no room is left to find one */
    r = reader("12345678\nab\n", 12, buf, sizeof(buf));
    CHECK_EQ(ne_line_next(&r, &line, &len), NE_LINE_TOO_LONG);
    expect_line(&r, "ab");
    close(r.fd);
    r = reader("1234567\n", 8, buf, sizeof(buf));
    expect_line(&r, "1234567");
    close(r.fd);
}

static void test_unterminated(void)
{
    char buf[8];
    const char *line;
    size_t len;
    struct ne_line_reader r = reader("YR a\nKK", 7, buf, sizeof(buf));
    expect_line(&r, "YR a");
    CHECK_EQ(ne_line_next(&r, &line, &len), NE_LINE_UNTERMINATED);
    CHECK_EQ(ne_line_next(&r, &line, &len), NE_LINE_EOF);
    close(r.fd);
    r = reader("0123456789abcdef", 16, buf, sizeof(buf)); /* too long and never ended */
    CHECK_EQ(ne_line_next(&r, &line, &len), NE_LINE_UNTERMINATED);
    close(r.fd);
}

/* Bytes that come one at a time still make whole lines. */
static void test_trickle(void)
{
    char buf[32];
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const char *s = "3 YR abc\n4 KK de\n";
        for (const char *p = s; *p; p++) {
            if (write(fds[1], p, 1) != 1)
                _exit(1);
            usleep(200);
        }
        _exit(0);
    }
    close(fds[1]);
    struct ne_line_reader r = {.fd = fds[0], .buf = buf, .cap = sizeof(buf)};
    expect_line(&r, "3 YR abc");
    expect_line(&r, "4 KK de");
    const char *line;
    size_t len;
    CHECK_EQ(ne_line_next(&r, &line, &len), NE_LINE_EOF);
    close(fds[0]);
}

int main(void)
{
    RUN(test_lines);
    RUN(test_long_line_skipped);
    RUN(test_unterminated);
    RUN(test_trickle);
    return check_report();
}
