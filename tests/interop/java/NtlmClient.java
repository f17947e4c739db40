import java.io.InputStream;
import java.net.Authenticator;
import java.net.HttpURLConnection;
import java.net.PasswordAuthentication;
import java.net.URL;

/* Java's own NTLM (HttpURLConnection), as a Java application server's client is: prints the
 * HTTP status and the body. Arguments: URL DOMAIN\\USER PASSWORD. */
public class NtlmClient {
    public static void main(String[] args) throws Exception {
        final String user = args[1], password = args[2];
        Authenticator.setDefault(new Authenticator() {
            protected PasswordAuthentication getPasswordAuthentication() {
                return new PasswordAuthentication(user, password.toCharArray());
            }
        });
        HttpURLConnection c = (HttpURLConnection) new URL(args[0]).openConnection();
        int status = c.getResponseCode();
        InputStream in = status == 200 ? c.getInputStream() : c.getErrorStream();
        String body = in == null ? "" : new String(in.readAllBytes(), "UTF-8");
        System.out.println(status + " " + body.trim());
    }
}
